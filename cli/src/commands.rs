//! The generated commands: one per operation of the spec, built at run time
//! from the SDK's [`OPERATIONS`] table (which the SDK's build writes from
//! `openapi.yaml`), so an SDK rebuilt against a new spec brings its new
//! commands with it. Nothing here names an operation.
//!
//! - grouped by the operation's first tag (`openscaler backends get ...`),
//!   the command named by its operationId without the tag's words
//!   (`get_backend` -> `get`); an operation without a tag is a top-level
//!   command named by its operationId (`find-things`);
//! - path parameters are positional, in the path's order; query, header and
//!   cookie parameters are `--kebab-case` flags (`--idempotency-key`),
//!   prefixed with their location where the name is taken
//!   (`--query-output`);
//! - a value is read as its schema's type says (integer, number, boolean,
//!   an array by repeating the flag, else text), an enum's values listed in
//!   help and completion and the only ones accepted;
//! - `-f FILE|-` for an operation with a body, `--dry-run` for all, and
//!   `--all` for a list with `cursor` and `limit` query parameters.
//!
//! Running them is `call`'s concern.

use clap::{builder::TypedValueParser, Arg, ArgAction, Command};
use openscaler::operations::{Location, Operation, Parameter, OPERATIONS};
use serde_json::Value;

/// Top-level commands written by hand, which generated names must avoid.
pub const BUILT_IN: &[&str] = &["backend", "apply", "completion", "api", "help"];

/// Flags every command has (the global ones) or a generated one may have.
const TAKEN_FLAGS: &[&str] = &[
    "base-url", "token", "timeout", "attempts", "profile", "output", "quiet", "verbose", "help",
    "version", "file", "dry-run", "all",
];

/// Where help lists a generated command's own flags, apart from the global
/// ones.
const HEADING: &str = "Operation options";

/// How a parameter's value is read from the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Text, as given.
    Text,
    /// One of these values.
    Enum(Vec<String>),
    /// An integer, within the schema's `minimum`/`maximum` when it has them.
    Integer { min: Option<i64>, max: Option<i64> },
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list, one value per use of the flag, each of the inner kind.
    Array(Box<Kind>),
    /// Anything else (`oneOf`, objects): JSON when it reads as JSON, else
    /// text.
    Json,
}

impl Kind {
    /// The kind a parameter's schema (JSON text) describes.
    pub fn of_schema(schema: &str) -> Kind {
        serde_json::from_str::<Value>(schema).map_or(Kind::Json, |value| Kind::of(&value))
    }

    fn of(schema: &Value) -> Kind {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let texts: Option<Vec<String>> = values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map(str::to_owned))
                .collect();
            if let Some(texts) = texts.filter(|t| !t.is_empty()) {
                return Kind::Enum(texts);
            }
        }
        // `type: [integer, "null"]` (a nullable type) reads as its type.
        let ty = match schema.get("type") {
            Some(Value::String(ty)) => Some(ty.as_str()),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null"),
            _ => None,
        };
        match ty {
            Some("string") => Kind::Text,
            Some("integer") => Kind::Integer {
                min: schema.get("minimum").and_then(Value::as_i64),
                max: schema.get("maximum").and_then(Value::as_i64),
            },
            Some("number") => Kind::Number,
            Some("boolean") => Kind::Boolean,
            Some("array") => Kind::Array(Box::new(schema.get("items").map_or(
                Kind::Json,
                |items| match Kind::of(items) {
                    Kind::Array(_) => Kind::Json,
                    kind => kind,
                },
            ))),
            _ => Kind::Json,
        }
    }

    /// Reads one value given on the command line as the JSON the SDK
    /// takes.
    ///
    /// # Errors
    ///
    /// What is wrong with it, to follow the flag's name and the value.
    pub fn read(&self, text: &str) -> Result<Value, String> {
        match self {
            Kind::Text => Ok(Value::from(text)),
            Kind::Enum(values) if values.iter().any(|v| v == text) => Ok(Value::from(text)),
            Kind::Enum(values) => Err(format!("is not one of {}", values.join(", "))),
            Kind::Integer { min, max } => {
                let n: i64 = text
                    .trim()
                    .parse()
                    .map_err(|_| "is not an integer".to_owned())?;
                match (min, max) {
                    (Some(min), _) if n < *min => Err(format!("is less than the minimum {min}")),
                    (_, Some(max)) if n > *max => Err(format!("is more than the maximum {max}")),
                    _ => Ok(Value::from(n)),
                }
            }
            Kind::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| "is not a number".to_owned()),
            Kind::Boolean => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("is not true or false".to_owned()),
            },
            Kind::Array(inner) => inner.read(text),
            Kind::Json => Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::from(text))),
        }
    }

    /// The values help and completion offer.
    fn offered(&self) -> Option<Vec<String>> {
        match self {
            Kind::Enum(values) => Some(values.clone()),
            Kind::Boolean => Some(vec!["true".to_owned(), "false".to_owned()]),
            Kind::Array(inner) => inner.offered(),
            _ => None,
        }
    }
}

/// One parameter as a positional argument or a flag.
#[derive(Debug)]
pub struct Input {
    /// The clap id (`p:<wire name>`, apart from the global flags' ids).
    pub id: String,
    pub parameter: &'static Parameter,
    pub kind: Kind,
    /// `--name` for a flag; `None` for a positional (path) value.
    pub flag: Option<String>,
}

impl Input {
    /// How messages name it: `--limit`, or `LB_ID`.
    pub fn label(&self) -> String {
        match &self.flag {
            Some(flag) => format!("--{flag}"),
            None => value_name(self.parameter.name),
        }
    }
}

/// One generated command.
#[derive(Debug)]
pub struct OpCommand {
    pub operation: &'static Operation,
    /// The group (the first tag, kebab-case), or `None` at the top level.
    pub group: Option<String>,
    pub name: String,
    pub inputs: Vec<Input>,
    /// Whether it has `--all` (a list with `cursor` and `limit`).
    pub pages: bool,
}

/// Every generated command, with the names they are reached by.
#[derive(Debug)]
pub struct Commands {
    pub commands: Vec<OpCommand>,
}

impl Commands {
    /// The commands of the SDK's spec.
    pub fn of_spec() -> Commands {
        Commands::of(OPERATIONS)
    }

    /// The commands of `operations`.
    pub fn of(operations: &'static [Operation]) -> Commands {
        let mut commands: Vec<OpCommand> = operations.iter().map(OpCommand::new).collect();
        // Two short names alike in one group: each takes its full operationId.
        for i in 0..commands.len() {
            let clash = commands.iter().enumerate().any(|(j, other)| {
                j != i && other.group == commands[i].group && other.name == commands[i].name
            });
            if clash || commands[i].name == "help" {
                commands[i].name = kebab(commands[i].operation.id);
            }
        }
        // Groups stay clear of the hand-written commands, and top-level
        // commands of both.
        for command in &mut commands {
            if let Some(group) = &mut command.group {
                if BUILT_IN.contains(&group.as_str()) {
                    group.push_str("-ops");
                }
            }
        }
        let groups: Vec<String> = commands.iter().filter_map(|c| c.group.clone()).collect();
        for command in commands.iter_mut().filter(|c| c.group.is_none()) {
            if BUILT_IN.contains(&command.name.as_str()) || groups.contains(&command.name) {
                command.name = format!("op-{}", command.name);
            }
        }
        Commands { commands }
    }

    /// The groups, in the spec's order.
    pub fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = Vec::new();
        for group in self.commands.iter().filter_map(|c| c.group.as_deref()) {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        groups
    }

    /// The command a parsed command line chose, and its matches.
    pub fn chosen<'m>(
        &self,
        matches: &'m clap::ArgMatches,
    ) -> Option<(&OpCommand, &'m clap::ArgMatches)> {
        let (first, sub) = matches.subcommand()?;
        self.commands
            .iter()
            .find_map(|command| match &command.group {
                Some(group) if group == first => sub
                    .subcommand()
                    .filter(|(name, _)| *name == command.name)
                    .map(|(_, matches)| (command, matches)),
                None if command.name == first => Some((command, sub)),
                _ => None,
            })
    }

    /// `cli` with a subcommand per group (each holding its operations) and
    /// per untagged operation, and the list of every operation in its help.
    pub fn augment(&self, cli: Command) -> Command {
        let mut cli = cli;
        for group in self.groups() {
            let members: Vec<&OpCommand> = self
                .commands
                .iter()
                .filter(|c| c.group.as_deref() == Some(group))
                .collect();
            let names: Vec<&str> = members.iter().map(|c| c.name.as_str()).collect();
            let mut sub = Command::new(group.to_owned())
                .about(format!("Operations tagged {group}: {}", names.join(", ")))
                .subcommand_required(true)
                .arg_required_else_help(true);
            for member in members {
                sub = sub.subcommand(member.command());
            }
            cli = cli.subcommand(sub);
        }
        for command in self.commands.iter().filter(|c| c.group.is_none()) {
            cli = cli.subcommand(command.command());
        }
        let after = cli
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        cli.after_help(format!("{}\n\n{after}", self.listing()))
    }

    /// Every operation: its command line, what it does, its method and path.
    pub fn listing(&self) -> String {
        let lines: Vec<(String, &str)> = self
            .commands
            .iter()
            .map(|c| (c.usage(), c.operation.summary))
            .collect();
        let width = lines.iter().map(|(u, _)| u.len()).max().unwrap_or(0);
        let mut text =
            String::from("Operations of the spec (openscaler GROUP COMMAND --help for more):");
        for (usage, summary) in lines {
            text.push_str(&format!("\n  {usage:width$}  {summary}"));
        }
        text
    }
}

impl OpCommand {
    fn new(operation: &'static Operation) -> OpCommand {
        let tag = operation.tags.first().copied();
        let name = match tag {
            Some(tag) => short_name(operation.id, tag),
            None => kebab(operation.id),
        };
        let mut inputs: Vec<Input> = Vec::new();
        // Path values in the order the path has them.
        let mut path: Vec<&'static Parameter> = operation
            .parameters
            .iter()
            .filter(|p| p.location == Location::Path)
            .collect();
        path.sort_by_key(|p| {
            operation
                .path
                .find(&format!("{{{}}}", p.name))
                .unwrap_or(usize::MAX)
        });
        for parameter in path {
            inputs.push(Input {
                id: format!("p:{}", parameter.name),
                parameter,
                kind: Kind::of_schema(parameter.schema),
                flag: None,
            });
        }
        let mut flags: Vec<String> = Vec::new();
        for parameter in operation
            .parameters
            .iter()
            .filter(|p| p.location != Location::Path)
        {
            let mut flag = kebab(parameter.name);
            if TAKEN_FLAGS.contains(&flag.as_str()) || flags.contains(&flag) {
                flag = format!("{}-{flag}", location_word(parameter.location));
            }
            flags.push(flag.clone());
            inputs.push(Input {
                id: format!("p:{}", parameter.name),
                parameter,
                kind: Kind::of_schema(parameter.schema),
                flag: Some(flag),
            });
        }
        let query = |name: &str| {
            operation
                .parameters
                .iter()
                .any(|p| p.location == Location::Query && p.name == name)
        };
        OpCommand {
            operation,
            group: tag.map(kebab),
            name,
            inputs,
            pages: operation.method == "GET" && query("cursor") && query("limit"),
        }
    }

    /// `backends get LB_ID BACKEND_NAME`.
    pub fn usage(&self) -> String {
        let mut words: Vec<String> = self.group.iter().cloned().collect();
        words.push(self.name.clone());
        words.extend(
            self.inputs
                .iter()
                .filter(|i| i.flag.is_none())
                .map(Input::label),
        );
        words.join(" ")
    }

    /// The clap command.
    fn command(&self) -> Command {
        let operation = self.operation;
        let summary = if operation.summary.is_empty() {
            operation.id
        } else {
            operation.summary
        };
        let mut long = summary.to_owned();
        if !operation.description.is_empty() {
            long.push_str("\n\n");
            long.push_str(operation.description.trim_end());
        }
        let mut command = Command::new(self.name.clone())
            .about(summary.to_owned())
            .long_about(long)
            .after_help(format!(
                "Sends {} {} (operation {}).\n\n{}",
                operation.method,
                operation.path,
                operation.id,
                crate::args::EXIT_CODES
            ));
        for input in &self.inputs {
            command = command.arg(input.arg());
        }
        if let Some(body) = &operation.body {
            let mut help = String::from("The request body as YAML or JSON; - reads standard input");
            if !body.description.is_empty() {
                help = format!("{help}: {}", first_line(body.description));
            }
            command = command.arg(
                Arg::new("file")
                    .short('f')
                    .long("file")
                    .value_name("FILE|-")
                    .value_parser(clap::value_parser!(std::path::PathBuf))
                    .required(body.required)
                    .help_heading(HEADING)
                    .help(help),
            );
        }
        command = command.arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help_heading(HEADING)
                .help("Check the values and print the request that would be sent; send nothing"),
        );
        if self.pages {
            command = command.arg(
                Arg::new("all")
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .help_heading(HEADING)
                    .help("Follow next_cursor to the last page, writing the items as each page comes (-o json: one per line)"),
            );
        }
        command
    }
}

impl Input {
    fn arg(&self) -> Arg {
        let parameter = self.parameter;
        let mut help = first_line(parameter.description).to_owned();
        let place = match parameter.location {
            Location::Path => None,
            Location::Query => Some("query parameter"),
            Location::Header => Some("header"),
            _ => Some("cookie"),
        };
        if let Some(place) = place {
            help = if help.is_empty() {
                format!("{place} {}", parameter.name)
            } else {
                format!("{help} ({place} {})", parameter.name)
            };
        }
        let mut arg = Arg::new(self.id.clone())
            .help(help)
            .value_name(value_name(parameter.name))
            .required(parameter.required);
        if let Some(flag) = &self.flag {
            arg = arg.long(flag.clone()).help_heading(HEADING);
        }
        arg = match &self.kind {
            Kind::Array(_) => arg.action(ArgAction::Append),
            _ => arg.action(ArgAction::Set),
        };
        // Values are read (and refused, all at once) by `Kind::read`; clap
        // only lists what is offered.
        match self.kind.offered() {
            Some(values) => arg.value_parser(Offered(values)),
            None => arg,
        }
    }
}

/// A value parser taking any text that offers `values` in help and
/// completion; `Kind::read` refuses the others, with every other problem.
#[derive(Clone)]
struct Offered(Vec<String>);

impl TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .map(|v| clap::builder::PossibleValue::new(v.clone())),
        ))
    }
}

fn location_word(location: Location) -> &'static str {
    match location {
        Location::Query => "query",
        Location::Header => "header",
        Location::Path => "path",
        _ => "cookie",
    }
}

/// `lb_id` -> `LB_ID`, `X-Tenant` -> `X_TENANT`.
fn value_name(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

fn first_line(text: &str) -> &str {
    text.trim().lines().next().unwrap_or("").trim()
}

/// `update_backend` -> `update-backend`; `Idempotency-Key` ->
/// `idempotency-key`.
pub fn kebab(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '_' | ' ' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The operationId without the tag's words, at its end or its start, in
/// the tag's form or singular: (`get_backend`, `backends`) -> `get`,
/// (`list_load_balancers`, `load-balancers`) -> `list`. The whole id when
/// nothing would be left.
pub fn short_name(id: &str, tag: &str) -> String {
    let words: Vec<String> = kebab(id).split('-').map(str::to_owned).collect();
    let tag_words: Vec<String> = kebab(tag).split('-').map(str::to_owned).collect();
    let n = tag_words.len();
    let matches = |part: &[String]| {
        part.len() == n
            && part
                .iter()
                .zip(&tag_words)
                .enumerate()
                .all(|(i, (word, tag))| {
                    word == tag || (i == n - 1 && tag.strip_suffix('s') == Some(word.as_str()))
                })
    };
    let rest: &[String] = if words.len() > n && matches(&words[words.len() - n..]) {
        &words[..words.len() - n]
    } else if words.len() > n && matches(&words[..n]) {
        &words[n..]
    } else {
        &words
    };
    rest.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_the_tag_in_either_form() {
        assert_eq!(short_name("get_backend", "backends"), "get");
        assert_eq!(short_name("list_backends", "backends"), "list");
        assert_eq!(short_name("list_load_balancers", "load-balancers"), "list");
        assert_eq!(short_name("get_load_balancer", "load-balancers"), "get");
        assert_eq!(short_name("backend_update", "backends"), "update");
        assert_eq!(short_name("find_things", "backends"), "find-things");
        assert_eq!(short_name("backends", "backends"), "backends");
        assert_eq!(short_name("get_load", "load-balancers"), "get-load");
        assert_eq!(kebab("Idempotency-Key"), "idempotency-key");
        assert_eq!(kebab("X_Tenant.id"), "x-tenant-id");
    }

    #[test]
    fn schemas_give_kinds_and_values_are_read_by_them() {
        let kind = Kind::of_schema(r#"{"type":"integer","minimum":1,"maximum":100}"#);
        assert_eq!(
            kind,
            Kind::Integer {
                min: Some(1),
                max: Some(100)
            }
        );
        assert_eq!(kind.read("10"), Ok(Value::from(10)));
        assert_eq!(kind.read("1"), Ok(Value::from(1)));
        assert_eq!(kind.read("100"), Ok(Value::from(100)));
        assert_eq!(kind.read("0").unwrap_err(), "is less than the minimum 1");
        assert_eq!(
            kind.read("101").unwrap_err(),
            "is more than the maximum 100"
        );
        assert_eq!(kind.read("ten").unwrap_err(), "is not an integer");

        let kind = Kind::of_schema(r#"{"type":"string","enum":["http","tcp"]}"#);
        assert_eq!(kind, Kind::Enum(vec!["http".into(), "tcp".into()]));
        assert_eq!(kind.read("tcp"), Ok(Value::from("tcp")));
        assert_eq!(kind.read("udp").unwrap_err(), "is not one of http, tcp");
        assert_eq!(kind.offered(), Some(vec!["http".into(), "tcp".into()]));

        let kind = Kind::of_schema(r#"{"type":"array","items":{"type":"boolean"}}"#);
        assert_eq!(kind, Kind::Array(Box::new(Kind::Boolean)));
        assert_eq!(kind.read("false"), Ok(Value::Bool(false)));
        assert_eq!(kind.read("true"), Ok(Value::Bool(true)));
        assert_eq!(kind.read("yes").unwrap_err(), "is not true or false");
        assert_eq!(kind.offered(), Some(vec!["true".into(), "false".into()]));

        let kind = Kind::of_schema(r#"{"type":["number","null"]}"#);
        assert_eq!(kind, Kind::Number);
        assert_eq!(kind.read("1.5"), Ok(serde_json::json!(1.5)));
        assert_eq!(kind.read("x").unwrap_err(), "is not a number");
        assert_eq!(kind.offered(), None);

        assert_eq!(
            Kind::of_schema(r#"{"type":"string"}"#).read("42"),
            Ok(Value::from("42"))
        );
        assert_eq!(
            Kind::of_schema(r#"{"type":"integer"}"#),
            Kind::Integer {
                min: None,
                max: None
            }
        );
        let json = Kind::of_schema(r#"{"oneOf":[{"type":"integer"},{"type":"string"}]}"#);
        assert_eq!(json, Kind::Json);
        assert_eq!(json.read("80"), Ok(Value::from(80)));
        assert_eq!(json.read("eighty"), Ok(Value::from("eighty")));
        assert_eq!(Kind::of_schema("not json"), Kind::Json);
        assert_eq!(
            Kind::of_schema(r#"{"type":"array","items":{"type":"array"}}"#),
            Kind::Array(Box::new(Kind::Json))
        );
    }

    #[test]
    fn every_operation_has_a_command_and_the_grammar_is_consistent() {
        let commands = Commands::of_spec();
        assert_eq!(commands.commands.len(), OPERATIONS.len());
        let cli = commands.augment(<crate::args::Cli as clap::CommandFactory>::command());
        cli.clone().debug_assert();
        for command in &commands.commands {
            let found = match &command.group {
                Some(group) => cli
                    .find_subcommand(group)
                    .and_then(|g| g.find_subcommand(&command.name)),
                None => cli.find_subcommand(&command.name),
            };
            assert!(found.is_some(), "{}", command.operation.id);
        }
    }
}
