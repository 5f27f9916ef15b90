//! The command line's grammar (clap derive): commands, flags, help text.

use std::path::PathBuf;

use clap::{
    builder::{PossibleValue, TypedValueParser},
    Args, Parser, Subcommand, ValueEnum,
};
use openscaler::{BalancingMethod, HealthCheckType, Mode, ProxyProtocol};

/// The exit codes and where settings come from, shown after `--help`.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  all done
  1  the API refused or failed an update (for apply: any entry)
  2  bad usage or input; nothing was sent
  3  configuration: no token, an unreadable or unsafe profile
  4  the API refused the credentials (401 or 403)

Settings, first found wins: flag, environment (OPENSCALER_TOKEN,
OPENSCALER_BASE_URL, OPENSCALER_TIMEOUT_SECS, OPENSCALER_PROFILE), profile in
$XDG_CONFIG_HOME/openscaler/config.toml (~/.config when unset), default."
    };
}

pub const EXIT_CODES: &str = exit_codes!();

/// The OpenScaler API: a command for every operation of its spec, `api` for
/// any path, and backend updates from flags or YAML/JSON files.
#[derive(Debug, Parser)]
#[command(name = "openscaler", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// API base URL [default: https://api.alpha.openscaler.net]
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Bearer token (prefer OPENSCALER_TOKEN or a profile: flags show in `ps`)
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Time allowed for one attempt: seconds, or with a unit (500ms, 30s, 2m)
    #[arg(long, global = true, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Times an update is tried, the first included; retried are connection
    /// failures, timeouts, 408, 429, 502, 503 and 504 (the SDK's policy)
    #[arg(long, global = true, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub attempts: u32,
    /// Profile to use from the config file [default: default]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Output format on stdout
    #[arg(short, long, global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Print no progress and no summary; errors still go to stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show the SDK's tracing events on stderr (-vv: every crate's)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work on one backend
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Update many backends from one file, validated before anything is sent
    #[command(after_help = APPLY_HELP)]
    Apply(Box<ApplyArgs>),
    /// Send any request under the base URL with the configured token (like `gh api`)
    #[command(after_help = API_HELP)]
    Api(Box<ApiArgs>),
    /// Print a shell completion script
    Completion {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

const APPLY_HELP: &str = concat!(
    "\
The file (YAML or JSON) lists the updates:

  backends:
    - lb_id: \"42\"
      backend_name: my-backend
      backend:            # as in `backend update -f`
        name: api-backend
        mode: http
        ...

Every entry is checked first; with any problem, nothing is sent (exit 2).

",
    exit_codes!()
);

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Replace a backend's configuration (PUT): fields left out are reset
    #[command(after_help = UPDATE_HELP)]
    Update(Box<UpdateArgs>),
    /// Print the vendor page's example backend as a commented file to start from
    Template,
}

const UPDATE_HELP: &str = concat!(
    "\
The body comes from -f (YAML or JSON; - reads stdin) and the flags, flags
winning. An update replaces the whole backend: a field given neither in the
file nor by a flag is reset to the API's default. Start from
`openscaler backend template > backend.yaml`.

",
    exit_codes!()
);

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Load balancer id
    pub lb_id: String,
    /// Name of the backend to replace
    pub backend_name: String,
    /// The backend as YAML or JSON; - reads standard input
    #[arg(short, long, value_name = "FILE|-")]
    pub file: Option<PathBuf>,
    /// Validate and print the request that would be sent; send nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub fields: FieldFlags,
}

/// One flag per field of the body; each overrides the file.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Backend fields (override the file)")]
pub struct FieldFlags {
    /// name: unique name of the backend
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// mode: protocol mode
    #[arg(long, value_name = "MODE", value_parser = open_values(Mode::KNOWN))]
    pub mode: Option<String>,
    /// balancing_method: load balancing algorithm
    #[arg(long, value_name = "METHOD", value_parser = open_values(BalancingMethod::KNOWN))]
    pub balancing_method: Option<String>,
    /// port: port the servers listen on (1-65535)
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// servers: OpenScaler computers by id (replaces the file's servers)
    #[arg(long = "computer", value_name = "ID", num_args = 1.., conflicts_with = "ips")]
    pub computers: Vec<String>,
    /// servers: servers by IPv4 or IPv6 address (replaces the file's servers)
    #[arg(long = "ip", value_name = "ADDR", num_args = 1..)]
    pub ips: Vec<String>,
    /// options.tls: connect to the servers over TLS
    #[arg(long, overrides_with = "no_tls")]
    pub tls: bool,
    /// options.tls: false
    #[arg(long, overrides_with = "tls")]
    pub no_tls: bool,
    /// options.tls_verify: verify the servers' certificates
    #[arg(long, overrides_with = "no_tls_verify")]
    pub tls_verify: bool,
    /// options.tls_verify: false
    #[arg(long, overrides_with = "tls_verify")]
    pub no_tls_verify: bool,
    /// options.forward_for: add an X-Forwarded-For header
    #[arg(long, overrides_with = "no_forward_for")]
    pub forward_for: bool,
    /// options.forward_for: false
    #[arg(long, overrides_with = "forward_for")]
    pub no_forward_for: bool,
    /// options.proxy_protocol: PROXY protocol version sent to the servers
    #[arg(long, value_name = "VERSION", value_parser = open_values(ProxyProtocol::KNOWN))]
    pub proxy_protocol: Option<String>,
    /// options.sticky_session.cookie: keep clients on one server with this cookie
    #[arg(long, value_name = "NAME")]
    pub sticky_cookie: Option<String>,
    /// options.sticky_session.ttl: how long, such as 5m (ms, s, m, h, d)
    #[arg(long, value_name = "TTL")]
    pub sticky_ttl: Option<String>,
    /// options.health_check.type [default: http when another health-check flag makes the check]
    #[arg(long, value_name = "TYPE", value_parser = open_values(HealthCheckType::KNOWN))]
    pub health_check_type: Option<String>,
    /// options.health_check.path: path an http check requests, starting with /
    #[arg(long, value_name = "PATH")]
    pub health_check_path: Option<String>,
    /// options.health_check.method: HTTP method of the check, such as GET
    #[arg(long, value_name = "METHOD")]
    pub health_check_method: Option<String>,
    /// options.health_check.port: port to check, when not the backend's
    #[arg(long, value_name = "PORT")]
    pub health_check_port: Option<String>,
    /// options.health_check.expected_code: HTTP status the check expects
    #[arg(long, value_name = "CODE")]
    pub expected_code: Option<String>,
    /// options.health_check.host_header: Host header the check sends
    #[arg(long, value_name = "HOST")]
    pub host_header: Option<String>,
}

const API_HELP: &str = concat!(
    "\
The token, timeouts and retries are the configured ones (a POST or PATCH is
sent again only with an Idempotency-Key header, or when no connection was
made). The answer's body goes to stdout whatever its status; a status of 400
or more exits 1 (4 for 401 or 403), with the status on stderr.

  openscaler api GET /v1/lbs/42/backends/my-backend
  openscaler api PUT /v1/lbs/42/backends/my-backend -f backend.yaml
  openscaler api POST /v1/lbs/42/backends -f - -H 'Idempotency-Key: 7f1c'

",
    exit_codes!()
);

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The method: GET, PUT, POST, DELETE, PATCH, ...
    pub method: String,
    /// The path under the base URL, a query allowed (/v1/lbs/42?limit=10)
    pub path: String,
    /// The body as YAML or JSON, sent as JSON; - reads standard input. With
    /// a Content-Type header that is not JSON, the file's bytes as they are
    #[arg(short, long, value_name = "FILE|-")]
    pub file: Option<PathBuf>,
    /// A request header, 'Name: value'; repeat for more
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Print the request that would be sent; send nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The updates as YAML or JSON; - reads standard input
    #[arg(short, long, value_name = "FILE|-")]
    pub file: PathBuf,
    /// Validate and print the requests that would be sent; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Updates in flight at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Start no new update after the first failure
    #[arg(long)]
    pub fail_fast: bool,
}

/// A flag taking any text, whose known values are listed in `--help` and
/// offered by shell completion. Unknown values are refused later, with
/// every other problem at once, rather than by clap one at a time.
fn open_values(known: &'static [&'static str]) -> OpenValues {
    OpenValues(known)
}

#[derive(Clone)]
pub struct OpenValues(&'static [&'static str]);

impl TypedValueParser for OpenValues {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|v| PossibleValue::new(*v))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }
}
