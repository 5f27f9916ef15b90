//! `openscaler api METHOD PATH`: any request under the base URL, in the
//! manner of `gh api`, through the SDK's [`Client::request`] (the
//! configured token, timeouts and retries as the method allows). The
//! answer's body goes to stdout whatever its status; the status sets the
//! exit code (below 400: 0; 401 or 403: 4; any other: 1). It asks for
//! JSON (`accept: application/json`) as the SDK's calls do, unless an
//! `Accept` header is given.
//!
//! [`Client::request`]: openscaler::Client::request

use http::{HeaderName, HeaderValue, Method};
use serde_json::Value;

use crate::{
    args::{ApiArgs, Format, Global},
    failure::{Failure, API, AUTH, OK},
    output::{err_line, Out},
    prepared_json, Context,
};

pub async fn run(args: ApiArgs, global: &Global, ctx: &Context) -> Result<u8, Failure> {
    let mut lines = Vec::new();
    let method = parse_method(&args.method).map_err(|e| lines.push(e)).ok();
    if let Err(line) = check_path(&args.path) {
        lines.push(line);
    }
    let mut headers = Vec::new();
    for text in &args.headers {
        match parse_header(text) {
            Ok(header) => headers.push(header),
            Err(line) => lines.push(line),
        }
    }
    let raw = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .is_some_and(|(_, value)| !value.to_ascii_lowercase().contains("json"));
    let body = match &args.file {
        Some(path) => read_body(path, raw).map_err(|e| lines.extend(e.lines)).ok(),
        None => None,
    };
    let (Some(method), true) = (method, lines.is_empty()) else {
        return Err(Failure::problems(lines));
    };

    let client = ctx.client(args.dry_run)?;
    let mut request = client.request(method, &args.path);
    // What the SDK's own calls accept, unless told otherwise (as `gh api`
    // sends its media type).
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("accept"))
    {
        request = request.header("accept", "application/json");
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body, "application/json");
    }
    let mut out = Out::stdout();
    if args.dry_run {
        let prepared = request.preview().map_err(|e| Failure::api(&e))?;
        match global.output {
            Format::Text => out.line(&prepared.to_string()),
            format => out.value(format, &prepared_json(&prepared)),
        }
        out.flush();
        return Ok(OK);
    }
    let answer = request.send().await.map_err(|e| Failure::api(&e))?;
    write_body(&mut out, global.output, &answer.body);
    out.flush();
    let status = answer.status.as_u16();
    if status < 400 {
        return Ok(OK);
    }
    let message = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
    let reason = answer.status.canonical_reason().unwrap_or("");
    err_line(&match message {
        Some(message) => format!("error: OpenScaler answered {status} {reason}: {message}"),
        None => format!("error: OpenScaler answered {status} {reason}"),
    });
    Ok(if status == 401 || status == 403 {
        AUTH
    } else {
        API
    })
}

/// `get` or `GET`: a method as sent, in capitals.
fn parse_method(text: &str) -> Result<Method, String> {
    let upper = text.to_ascii_uppercase();
    if upper.is_empty() || !upper.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!(
            "METHOD: {text:?} is not an HTTP method such as GET, PUT, POST or DELETE"
        ));
    }
    Method::from_bytes(upper.as_bytes())
        .map_err(|_| format!("METHOD: {text:?} is not an HTTP method"))
}

fn check_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') && !path.starts_with("//") {
        Ok(())
    } else {
        Err(format!(
            "PATH: {path:?} must start with a single / (it goes under the base URL, as /v1/lbs/42 does)"
        ))
    }
}

/// `Name: value`. The value of a refused header is never repeated: it may
/// be a credential.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!(
            "-H: {:?} is not a header: write it as 'Name: value'",
            text.split(' ').next().unwrap_or("")
        ));
    };
    let (name, value) = (name.trim(), value.trim());
    if name.eq_ignore_ascii_case("authorization") {
        return Err(
            "-H: authorization is made from the configured token (--token, OPENSCALER_TOKEN or a profile), not given as a header".to_owned(),
        );
    }
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("-H: {name:?} is not a header name"));
    }
    if HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "-H: the value of {name} holds characters a header cannot carry"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// The body: the file's bytes as they are when `raw` (a content type that
/// is not JSON was given), else the YAML or JSON document as JSON.
fn read_body(path: &std::path::Path, raw: bool) -> Result<Vec<u8>, Failure> {
    if !raw {
        let doc = crate::read_doc(path)?;
        return Ok(serde_json::to_vec(&doc.value).unwrap_or_default());
    }
    if path == std::path::Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
}

/// The answer's body: as it came for `-o text` (a newline added to text
/// that lacks one), as JSON or YAML when it is JSON and asked so.
fn write_body(out: &mut Out, format: Format, body: &[u8]) {
    if body.is_empty() {
        return;
    }
    let value = match format {
        Format::Text => None,
        Format::Json | Format::Yaml => serde_json::from_slice::<Value>(body).ok(),
    };
    match value {
        Some(value) => out.value(format, &value),
        None => {
            out.bytes(body);
            if std::str::from_utf8(body).is_ok() && !body.ends_with(b"\n") {
                out.write("\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_paths_and_headers_are_checked_by_name() {
        assert_eq!(parse_method("get"), Ok(Method::GET));
        assert_eq!(parse_method("PATCH"), Ok(Method::PATCH));
        assert_eq!(parse_method("PURGE").unwrap().as_str(), "PURGE");
        assert_eq!(
            parse_method("G T").unwrap_err(),
            "METHOD: \"G T\" is not an HTTP method such as GET, PUT, POST or DELETE"
        );
        assert!(parse_method("").is_err());
        assert!(check_path("/v1/lbs").is_ok());
        assert!(check_path("/").is_ok());
        assert!(check_path("v1/lbs")
            .unwrap_err()
            .starts_with("PATH: \"v1/lbs\""));
        assert!(check_path("//evil.example/x").is_err());
        assert_eq!(
            parse_header("X-Trace:  abc "),
            Ok(("X-Trace".to_owned(), "abc".to_owned()))
        );
        assert_eq!(
            parse_header("Accept:a:b"),
            Ok(("Accept".to_owned(), "a:b".to_owned()))
        );
        assert_eq!(
            parse_header("X-Trace abc").unwrap_err(),
            "-H: \"X-Trace\" is not a header: write it as 'Name: value'"
        );
        let refused = parse_header("Authorization: Bearer s3cret").unwrap_err();
        assert!(
            refused.starts_with("-H: authorization is made"),
            "{refused}"
        );
        assert!(!refused.contains("s3cret"));
        assert_eq!(
            parse_header("X Y: 1").unwrap_err(),
            "-H: \"X Y\" is not a header name"
        );
        assert_eq!(
            parse_header("X-A: a\u{1}b").unwrap_err(),
            "-H: the value of X-A holds characters a header cannot carry"
        );
    }
}
