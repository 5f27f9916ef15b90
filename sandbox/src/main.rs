//! `openscaler-sandbox`: the sandbox as a program. Prints one JSON line on
//! stdout when ready (`{"listening": ..., "spec_sha256": ..., "version": ...}`)
//! and serves until interrupted. `openscaler-sandbox conformance --testee
//! CMD` runs an SDK's testee through the conformance vectors instead.

use std::{io::Write, net::IpAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use openscaler_sandbox::{conformance, Sandbox};

/// A stateful stand-in for the OpenScaler API, known only from its spec
/// (openapi.yaml, or --spec FILE): every operation routed and checked,
/// schema errors with JSON Pointers, stored backends, idempotency keys, a
/// request journal, faults, and the conformance vectors in vector mode.
#[derive(Parser, Debug)]
#[command(
    name = "openscaler-sandbox",
    version,
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to bind; one that is not loopback needs --admin-token.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind; 0 picks a free one (the ready line tells which).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accept only this bearer token (repeatable); by default any non-empty token.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,
    /// Seed for request ids and fault draws, for reproducible runs.
    #[arg(long)]
    seed: Option<u64>,
    /// Faults, e.g. 503=0.1,429=0.05,reset=0.02,latency=20ms (also retry-after=SECONDS).
    #[arg(long, value_name = "SPEC")]
    faults: Option<String>,
    /// JSON file of stored backends at start: {"LB_ID": {"BACKEND_NAME": backend}}
    /// (by default the page's my-backend on lb 42).
    #[arg(long, value_name = "FILE", conflicts_with = "empty")]
    state: Option<PathBuf>,
    /// Start with nothing stored.
    #[arg(long)]
    empty: bool,
    /// OpenAPI document to serve instead of the embedded openapi.yaml.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Require Authorization: Bearer TOKEN on the admin routes (/__sandbox/, but health).
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    /// Directory of conformance vectors (*.json) for vector mode, instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    vectors: Option<PathBuf>,
    /// Journal entries kept (older ones go).
    #[arg(long, value_name = "ENTRIES", default_value_t = openscaler_sandbox::DEFAULT_JOURNAL_CAPACITY)]
    journal: usize,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs an SDK's testee program through every conformance vector (the
    /// protocol: "Testing your SDK" in tests/vectors/README.md). Exit 0 only
    /// when every result is as expected, 1 otherwise, 2 on bad options.
    Conformance(ConformanceArgs),
}

#[derive(clap::Args, Debug)]
struct ConformanceArgs {
    /// The testee's command line, e.g. "python3 testee.py" (run without a shell).
    #[arg(long, value_name = "CMD ARGS")]
    testee: String,
    /// Write JUnit XML of the run to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Vector ids expected to fail, one per line, with the reason in a # comment.
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
    /// Run only these vector ids or categories (repeatable, or comma-separated).
    #[arg(long, value_name = "ID|CATEGORY", value_delimiter = ',')]
    only: Vec<String>,
    /// Leave out these vector ids or categories (repeatable, or comma-separated).
    #[arg(long, value_name = "ID|CATEGORY", value_delimiter = ',')]
    skip: Vec<String>,
    /// Seconds the testee may take for one case (and for its hello).
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
    timeout: f64,
    /// Directory of vectors (*.json) instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    vectors: Option<PathBuf>,
    /// OpenAPI document to serve instead of the embedded openapi.yaml.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
}

fn conformance(args: ConformanceArgs) -> ExitCode {
    let mut options = conformance::Options::new(args.testee);
    options.vectors_dir = args.vectors;
    options.spec_file = args.spec;
    options.only = args.only;
    options.skip = args.skip;
    match Duration::try_from_secs_f64(args.timeout) {
        Ok(timeout) if !timeout.is_zero() => options.timeout = timeout,
        _ => {
            eprintln!(
                "error: --timeout {}: not a positive number of seconds",
                args.timeout
            );
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.expected_failures {
        match std::fs::read_to_string(path) {
            Ok(text) => options.expected_failures = Some((path.display().to_string(), text)),
            Err(e) => {
                eprintln!("error: --expected-failures {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let summary = match conformance::run(&options, &mut std::io::stdout()) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, summary.junit()) {
            eprintln!("error: --junit {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if summary.as_expected() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    if let Some(Command::Conformance(conformance_args)) = args.command.take() {
        return conformance(conformance_args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut builder = Sandbox::builder()
        .host(args.host)
        .port(args.port)
        .journal_capacity(args.journal);
    for token in args.tokens {
        builder = builder.token(token);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(faults) = &args.faults {
        builder = builder.faults(faults);
    }
    if let Some(path) = &args.state {
        let state = std::fs::read_to_string(path)
            .map_err(|e| format!("--state {}: {e}", path.display()))
            .and_then(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| format!("--state {}: not JSON: {e}", path.display()))
            });
        match state {
            Ok(state) => builder = builder.state(state),
            Err(why) => {
                eprintln!("error: {why}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(dir) = args.vectors {
        builder = builder.vectors_dir(dir);
    }
    if let Some(file) = args.spec {
        builder = builder.spec_file(file);
    }
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    if args.empty {
        builder = builder.empty();
    }
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", sandbox.ready_line())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    ExitCode::SUCCESS
}
