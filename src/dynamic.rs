//! The dynamic call: any operation by its operationId, with parameters and
//! a body as JSON ([`Client::call`], [`Client::preview_call`]).
//!
//! For programs that learn the operation at run time: the command line's
//! generated commands, conformance testees, scripts. Each value is read
//! into the operation's own Rust type, so the call is checked and sent
//! exactly as the typed method would; a value of the wrong type is refused
//! with its parameter's name before anything is sent. The dispatch itself
//! is generated (`build/generator/operations.rs`); these are its helpers.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use crate::{validate::Checker, Client, Error, PreparedRequest};

/// What the generated dispatch gives back.
pub(crate) enum Outcome {
    /// The answer's value, as JSON (`null` for an answer without content).
    Value(Value),
    /// The request a dry run prepared.
    Prepared(PreparedRequest),
}

impl Client {
    /// Calls the operation `operation` (its operationId) with `params`
    /// (path, query and header values by their names on the wire) and
    /// `body`, and returns the answer as JSON (`null` when it has no
    /// content).
    ///
    /// ```no_run
    /// # async fn run(client: openscaler::Client) -> Result<(), openscaler::Error> {
    /// use serde_json::json;
    ///
    /// let params = json!({"lb_id": "42", "backend_name": "my-backend"});
    /// let body = json!({"name": "my-backend", "mode": "tcp", "balancing_method": "first",
    ///                   "port": 80, "servers": {"type": "ip", "ips": ["10.0.0.5"]}});
    /// let answer = client
    ///     .call("update_backend", params.as_object().unwrap(), Some(&body))
    ///     .await?;
    /// assert_eq!(answer["port"], 80);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), with
    /// nothing sent, for an operation the spec does not have, a parameter it
    /// does not take, a missing required value, a value of the wrong type,
    /// or any problem the typed method's checks find; otherwise what the
    /// typed method reports.
    pub async fn call(
        &self,
        operation: &str,
        params: &Map<String, Value>,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        match self.dispatch(operation, params, body, false).await? {
            Outcome::Value(value) => Ok(value),
            Outcome::Prepared(_) => unreachable!("a call that is not a dry run sends"),
        }
    }

    /// The request [`call`](Self::call) would send for the same arguments,
    /// without sending it.
    ///
    /// # Errors
    ///
    /// The errors `call` reports before sending.
    pub async fn preview_call(
        &self,
        operation: &str,
        params: &Map<String, Value>,
        body: Option<&Value>,
    ) -> Result<PreparedRequest, Error> {
        match self.dispatch(operation, params, body, true).await? {
            Outcome::Prepared(request) => Ok(request),
            Outcome::Value(_) => unreachable!("a dry run sends nothing"),
        }
    }
}

/// One refused value, as an [`Error`] of kind `InvalidInput`.
fn refused(field: &str, value: &Value, message: &str) -> Error {
    let mut checker = Checker::default();
    checker.refuse(field, value, message);
    match checker.finish() {
        Err(problems) => problems.into(),
        Ok(()) => unreachable!("a refused value is a problem"),
    }
}

pub(crate) fn unknown_operation(operation: &str) -> Error {
    let known: Vec<&str> = crate::operations::OPERATIONS.iter().map(|o| o.id).collect();
    refused(
        "operation",
        &Value::from(operation),
        &format!("is not an operation of the spec ({})", known.join(", ")),
    )
}

#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
pub(crate) fn unsupported(operation: &str) -> Error {
    refused(
        "operation",
        &Value::from(operation),
        "cannot be called dynamically: its body or answer is not JSON",
    )
}

/// Refuses any parameter the operation does not take.
pub(crate) fn only(params: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match params
        .iter()
        .find(|(name, _)| !known.contains(&name.as_str()))
    {
        Some((name, value)) => Err(refused(
            name,
            value,
            &format!(
                "is not a parameter of this operation (it takes: {})",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// A required string value (a path value, usually).
pub(crate) fn string<'p>(params: &'p Map<String, Value>, name: &str) -> Result<&'p str, Error> {
    match params.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(other) => Err(refused(name, other, "must be a string")),
        None => Err(refused(name, &Value::Null, "is required")),
    }
}

/// An optional string value; `null` counts as absent.
#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
pub(crate) fn optional_string<'p>(
    params: &'p Map<String, Value>,
    name: &str,
) -> Result<Option<&'p str>, Error> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => string(params, name).map(Some),
    }
}

/// A required value of the operation's type for it.
#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
pub(crate) fn required<T: DeserializeOwned>(
    params: &Map<String, Value>,
    name: &str,
) -> Result<T, Error> {
    match params.get(name) {
        Some(value) => typed(name, value),
        None => Err(refused(name, &Value::Null, "is required")),
    }
}

/// An optional value of the operation's type for it; `null` counts as
/// absent.
#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
pub(crate) fn optional<T: DeserializeOwned>(
    params: &Map<String, Value>,
    name: &str,
) -> Result<Option<T>, Error> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => typed(name, value).map(Some),
    }
}

/// The body, read into the operation's body type.
pub(crate) fn body<T: DeserializeOwned>(body: Option<&Value>) -> Result<T, Error> {
    match body {
        Some(value) => typed("body", value),
        None => Err(refused("body", &Value::Null, "is required")),
    }
}

fn typed<T: DeserializeOwned>(name: &str, value: &Value) -> Result<T, Error> {
    T::deserialize(value).map_err(|e| refused(name, value, &format!("is not valid here: {e}")))
}

/// An answer's value as JSON.
pub(crate) fn output<T: Serialize>(value: T) -> Result<Outcome, Error> {
    serde_json::to_value(value)
        .map(Outcome::Value)
        .map_err(|e| Error::config(format!("the answer cannot be written as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// The problem a refusal names: field, value, message.
    fn refusal(error: Error) -> (String, String, String) {
        let problem = &error.validation().expect("a validation error").problems()[0];
        (
            problem.field().to_owned(),
            problem.value().to_owned(),
            problem.message().to_owned(),
        )
    }

    // Today's spec has no optional or typed parameter; other specs' generated
    // code calls these helpers, so they are checked here directly.
    #[test]
    fn optional_and_typed_values_are_read_or_refused_by_name() {
        let given = params(
            json!({"cursor": "c-1", "nothing": null, "limit": 10, "bad": "ten", "ids": ["a"]}),
        );
        assert_eq!(optional_string(&given, "cursor").unwrap(), Some("c-1"));
        assert_eq!(optional_string(&given, "nothing").unwrap(), None);
        assert_eq!(optional_string(&given, "absent").unwrap(), None);
        assert_eq!(
            refusal(optional_string(&given, "limit").unwrap_err()),
            ("limit".into(), "10".into(), "must be a string".into())
        );
        assert_eq!(required::<u16>(&given, "limit").unwrap(), 10);
        assert_eq!(required::<Vec<String>>(&given, "ids").unwrap(), ["a"]);
        assert_eq!(
            refusal(required::<u16>(&given, "absent").unwrap_err()),
            ("absent".into(), "null".into(), "is required".into())
        );
        let (field, value, message) = refusal(required::<u16>(&given, "bad").unwrap_err());
        assert_eq!((field.as_str(), value.as_str()), ("bad", "\"ten\""));
        assert!(
            message.starts_with("is not valid here: invalid type"),
            "{message}"
        );
        assert_eq!(optional::<u16>(&given, "limit").unwrap(), Some(10));
        assert_eq!(optional::<u16>(&given, "nothing").unwrap(), None);
        assert_eq!(optional::<u16>(&given, "absent").unwrap(), None);
        assert_eq!(
            refusal(optional::<u16>(&given, "bad").unwrap_err()).0,
            "bad"
        );
    }

    #[test]
    fn an_operation_that_cannot_be_called_dynamically_says_so() {
        assert_eq!(
            refusal(unsupported("upload")),
            (
                "operation".into(),
                "\"upload\"".into(),
                "cannot be called dynamically: its body or answer is not JSON".into()
            )
        );
    }
}
