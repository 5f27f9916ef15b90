//! Running a generated command (`commands`): its values read as the spec
//! says, every problem at once, then the SDK's dynamic call
//! ([`Client::call`], or [`Client::preview_call`] for `--dry-run`), which
//! checks them again as the typed method would and sends with the token,
//! retries and tracing of any call. `--all` follows `next_cursor` page by
//! page, writing each page's items as it arrives.

use std::path::PathBuf;

use clap::ArgMatches;
use openscaler::{Client, Error};
use serde_json::{Map, Value};

use crate::{
    args::{Format, Global},
    commands::{Input, Kind, OpCommand},
    doc::Doc,
    failure::{Failure, API, OK},
    output::Out,
    prepared_json, Context,
};

/// The answer's field that holds the next page's cursor.
pub const NEXT_CURSOR: &str = "next_cursor";

pub async fn run(
    command: &OpCommand,
    matches: &ArgMatches,
    global: &Global,
    ctx: &Context,
) -> Result<u8, Failure> {
    let mut lines = Vec::new();
    let params = read_params(&command.inputs, matches, &mut lines);
    let doc = match matches.try_get_one::<PathBuf>("file").ok().flatten() {
        Some(path) => crate::read_doc(path)
            .map_err(|failure| lines.extend(failure.lines))
            .ok(),
        None => None,
    };
    if !lines.is_empty() {
        return Err(Failure::problems(lines));
    }
    let dry_run = matches.get_flag("dry-run");
    let all = command.pages && matches.get_flag("all");
    let client = ctx.client(dry_run)?;
    let id = command.operation.id;
    let body = doc.as_ref().map(|d| &d.value);
    let refused = |e: Error| refusal(command, doc.as_ref(), &e);
    let mut out = Out::stdout();
    if dry_run {
        let prepared = client
            .preview_call(id, &params, body)
            .await
            .map_err(refused)?;
        match global.output {
            Format::Text => out.line(&prepared.to_string()),
            format => out.value(format, &prepared_json(&prepared)),
        }
        out.flush();
        return Ok(OK);
    }
    if all {
        return pages(
            &client,
            command,
            params,
            body,
            global.output,
            &mut out,
            &refused,
        )
        .await;
    }
    let answer = client.call(id, &params, body).await.map_err(refused)?;
    match (global.output, &answer) {
        (Format::Text, Value::Null) => {}
        (format, answer) => out.value(format, answer),
    }
    out.flush();
    Ok(OK)
}

/// The parameters by their names on the wire, as JSON of their schema's
/// type; a value that does not read is a line in `problems`.
pub fn read_params(
    inputs: &[Input],
    matches: &ArgMatches,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let mut params = Map::new();
    for input in inputs {
        let Some(given) = matches.get_many::<String>(&input.id) else {
            continue;
        };
        let mut values = Vec::new();
        for text in given {
            match input.kind.read(text) {
                Ok(value) => values.push(value),
                Err(message) => problems.push(format!("{}: {text:?} {message}", input.label())),
            }
        }
        let value = match (&input.kind, values.pop()) {
            (Kind::Array(_), last) => {
                values.extend(last);
                Value::Array(values)
            }
            (_, Some(value)) => value,
            (_, None) => continue,
        };
        params.insert(input.parameter.name.to_owned(), value);
    }
    params
}

/// Every page from the one `params` ask for, its items written as each
/// arrives; the cursor of each next page is the answer's `next_cursor`.
async fn pages(
    client: &Client,
    command: &OpCommand,
    mut params: Map<String, Value>,
    body: Option<&Value>,
    format: Format,
    out: &mut Out,
    refused: &dyn Fn(Error) -> Failure,
) -> Result<u8, Failure> {
    let id = command.operation.id;
    loop {
        let page = client.call(id, &params, body).await.map_err(refused)?;
        let (items, next) = split_page(&page).map_err(|e| Failure {
            code: API,
            lines: vec![format!("{id}: {e}")],
        })?;
        for item in items {
            out.item(format, item);
        }
        out.flush();
        match next {
            None => return Ok(OK),
            Some(next) if params.get("cursor").and_then(Value::as_str) == Some(next) => {
                return Err(Failure {
                    code: API,
                    lines: vec![format!(
                        "{id}: the answer's {NEXT_CURSOR} {next:?} is the cursor just asked for; stopped rather than loop"
                    )],
                })
            }
            Some(next) => {
                params.insert("cursor".to_owned(), Value::from(next));
            }
        }
    }
}

/// A page's items (its one list, or the page when it is a list) and the
/// next page's cursor, if any.
///
/// # Errors
///
/// A page that holds no single list.
pub fn split_page(page: &Value) -> Result<(&[Value], Option<&str>), String> {
    match page {
        Value::Array(items) => Ok((items, None)),
        Value::Object(fields) => {
            let lists: Vec<&Vec<Value>> = fields.values().filter_map(Value::as_array).collect();
            match lists.as_slice() {
                [items] => Ok((
                    items.as_slice(),
                    fields.get(NEXT_CURSOR).and_then(Value::as_str),
                )),
                _ => Err(format!(
                    "the answer holds {} lists, not one, so --all cannot tell the items",
                    lists.len()
                )),
            }
        }
        _ => Err("the answer is not a list or an object holding one".to_owned()),
    }
}

/// An SDK error as lines: each input problem naming its flag, positional
/// value or place in the file.
fn refusal(command: &OpCommand, doc: Option<&Doc>, error: &Error) -> Failure {
    let Some(validation) = error.validation() else {
        return Failure::api(error);
    };
    let lines = validation
        .problems()
        .iter()
        .map(|problem| {
            let field = problem.field();
            if let Some(input) = command.inputs.iter().find(|i| i.parameter.name == field) {
                return format!(
                    "{}: {} {}",
                    input.label(),
                    problem.value(),
                    problem.message()
                );
            }
            let Some(doc) = doc else {
                return problem.to_string();
            };
            // The whole body refused as a value: its message says why;
            // the value itself is the file.
            if field == "body" {
                return format!("{}: {}", doc.name, problem.message());
            }
            match doc.line_of(field) {
                Some(line) => format!("{}:{line}: {problem}", doc.name),
                None => format!("{}: {problem}", doc.name),
            }
        })
        .collect();
    Failure::problems(lines)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_page_splits_into_its_list_and_next_cursor() {
        let page = json!({"backends": [{"name": "a"}, {"name": "b"}], "next_cursor": "b"});
        let (items, next) = split_page(&page).unwrap();
        assert_eq!(items, [json!({"name": "a"}), json!({"name": "b"})]);
        assert_eq!(next, Some("b"));
        let last = json!({"backends": [], "next_cursor": null});
        assert_eq!(split_page(&last).unwrap(), (&[][..], None));
        let bare = json!([1, 2]);
        assert_eq!(
            split_page(&bare).unwrap(),
            (&[json!(1), json!(2)][..], None)
        );
        assert_eq!(
            split_page(&json!({"a": [], "b": []})).unwrap_err(),
            "the answer holds 2 lists, not one, so --all cannot tell the items"
        );
        assert_eq!(
            split_page(&json!({"a": 1})).unwrap_err(),
            "the answer holds 0 lists, not one, so --all cannot tell the items"
        );
        assert!(split_page(&json!("text")).is_err());
    }
}
