//! `openscaler`: the OpenScaler command line, over the `openscaler` SDK.
//!
//! Layout, one file per concern:
//! - `args`: the hand-written grammar (clap derive), help text and exit
//!   codes;
//! - `commands`: the generated grammar, a command per operation of the
//!   spec, built from the SDK's `OPERATIONS` table;
//! - `call`: running a generated command through `Client::call`, `--all`;
//! - `api`: `api METHOD PATH`, any request through `Client::request`;
//! - `config`: settings from flags, environment and profiles;
//! - `doc`: YAML/JSON documents with the line of each value;
//! - `body`: from a document to a `Backend`, every problem at once;
//! - `update`: `backend update`, flags over a file;
//! - `apply`: `apply`, many updates with bounded concurrency;
//! - `template`: `backend template`;
//! - `output`: stdout and stderr, a closed pipe;
//! - `failure`: exit codes.

mod api;
mod apply;
mod args;
mod body;
mod call;
mod commands;
mod config;
mod doc;
mod failure;
mod output;
mod template;
mod update;

use std::{path::Path, process::ExitCode};

use clap::{CommandFactory, FromArgMatches};
use openscaler::{Client, PreparedRequest};
use serde_json::{json, Value};

use crate::{
    args::{BackendCommand, Cli, Command, Format, Global, Shell},
    commands::Commands,
    config::Settings,
    failure::{Failure, OK},
    output::{err_line, Out},
};

fn main() -> ExitCode {
    let commands = Commands::of_spec();
    let matches = grammar(&commands).get_matches();
    let global = Global::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if global.verbose > 0 {
        init_tracing(global.verbose);
    }
    let outcome = match commands.chosen(&matches) {
        Some((command, sub)) => {
            let ctx = Context::new(&global);
            runtime().and_then(|rt| rt.block_on(call::run(command, sub, &global, &ctx)))
        }
        None => match Cli::from_arg_matches(&matches) {
            Ok(cli) => run(cli, &commands),
            Err(e) => e.exit(),
        },
    };
    let code = match outcome {
        Ok(code) => code,
        Err(failure) => {
            for line in &failure.lines {
                err_line(&format!("error: {line}"));
            }
            failure.code
        }
    };
    ExitCode::from(code)
}

/// The whole grammar: the hand-written commands and the generated ones.
fn grammar(commands: &Commands) -> clap::Command {
    commands.augment(Cli::command())
}

/// `-v`: the SDK's events (`openscaler` target) at debug; `-vv`: all.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::{filter::LevelFilter, filter::Targets, prelude::*};
    let filter = if verbose > 1 {
        Targets::new().with_default(LevelFilter::DEBUG)
    } else {
        Targets::new().with_target("openscaler", LevelFilter::DEBUG)
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

fn run(cli: Cli, commands: &Commands) -> Result<u8, Failure> {
    let global = cli.global;
    match cli.command {
        Command::Completion { shell } => {
            let mut script = Vec::new();
            let mut command = grammar(commands);
            match shell {
                Shell::Bash => clap_complete::generate(
                    clap_complete::Shell::Bash,
                    &mut command,
                    "openscaler",
                    &mut script,
                ),
                Shell::Zsh => clap_complete::generate(
                    clap_complete::Shell::Zsh,
                    &mut command,
                    "openscaler",
                    &mut script,
                ),
                Shell::Fish => clap_complete::generate(
                    clap_complete::Shell::Fish,
                    &mut command,
                    "openscaler",
                    &mut script,
                ),
            }
            let mut out = Out::stdout();
            out.write(&String::from_utf8_lossy(&script));
            out.flush();
            Ok(OK)
        }
        Command::Backend(BackendCommand::Template) => {
            let mut out = Out::stdout();
            match global.output {
                Format::Json => out.value(Format::Json, &template::json()),
                Format::Text | Format::Yaml => out.write(template::YAML),
            }
            out.flush();
            Ok(OK)
        }
        Command::Backend(BackendCommand::Update(args)) => {
            let ctx = Context::new(&global);
            runtime()?.block_on(update::run(*args, &global, &ctx))
        }
        Command::Apply(args) => {
            let ctx = Context::new(&global);
            runtime()?.block_on(apply::run(*args, &global, &ctx))
        }
        Command::Api(args) => {
            let ctx = Context::new(&global);
            runtime()?.block_on(api::run(*args, &global, &ctx))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::config(format!("cannot start the async runtime: {e}")))
}

/// What commands that talk to the API share: the settings, resolved when
/// first needed (so that bad input is reported before configuration).
pub struct Context {
    settings: Result<Settings, String>,
    attempts: u32,
}

impl Context {
    fn new(global: &args::Global) -> Context {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Context {
            settings: config::resolve(global, &env),
            attempts: global.attempts,
        }
    }

    /// The client. A dry run needs no token: without one it uses a
    /// stand-in, which is shown redacted like any token and never sent.
    pub fn client(&self, dry_run: bool) -> Result<Client, Failure> {
        let settings = self.settings.as_ref().map_err(Failure::config)?;
        let mut builder = Client::builder()
            .retry_policy(openscaler::RetryPolicy::default().max_attempts(self.attempts));
        if let Some(url) = &settings.base_url {
            builder = builder.base_url(url);
        }
        if let Some(timeout) = settings.timeout {
            builder = builder.timeout(timeout);
        }
        match (&settings.token, dry_run) {
            (Some(token), _) => builder = builder.token(token),
            (None, true) => builder = builder.token("dry-run-stand-in"),
            (None, false) => {
                return Err(Failure::config(format!(
                    "no token: set {}, pass --token, or add token = \"...\" to a profile in {}",
                    openscaler::ENV_TOKEN,
                    settings.config_path.display()
                )))
            }
        }
        builder.build().map_err(|e| Failure::api(&e))
    }
}

/// Reads a YAML or JSON document from a file, or stdin for `-`.
pub fn read_doc(path: &Path) -> Result<doc::Doc, Failure> {
    let (name, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
        ("<stdin>".to_owned(), text)
    } else {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        (name, text)
    };
    doc::parse(&name, &text).map_err(Failure::usage)
}

/// A dry run's request as data, for `-o json|yaml`.
pub fn prepared_json(prepared: &PreparedRequest) -> Value {
    let headers: serde_json::Map<String, Value> = prepared
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                json!(String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect();
    json!({
        "method": prepared.method().as_str(),
        "url": prepared.url().as_str(),
        "headers": headers,
        "body": prepared.body_json(),
    })
}
