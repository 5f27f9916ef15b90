//! The request pipeline: what happens to every request the generated client
//! makes, through progenitor's `ClientHooks` (`pre`, `exec`).
//!
//! - `pre` adds the bearer token and drops the `api-version` header progenitor
//!   adds to every request (OpenScaler does not document it; the request
//!   stays exactly the page's).
//! - `exec` sends the request and records, for the call in progress, how many
//!   attempts were made and the last status and `x-request-id` seen, so that
//!   errors can report them even when the body cannot be parsed.

use std::{cell::RefCell, fmt, future::Future};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{
    header::{HeaderValue, AUTHORIZATION},
    Request, Response, StatusCode,
};

use crate::generated;

/// Per-client state the hooks need; the generated client's `inner` value.
#[derive(Clone)]
pub struct Hooks {
    /// `Bearer <token>`, marked sensitive.
    pub(crate) authorization: HeaderValue,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("authorization", &"Bearer <redacted>")
            .finish()
    }
}

/// What the pipeline saw during one call.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) attempts: u32,
    pub(crate) status: Option<StatusCode>,
    pub(crate) request_id: Option<String>,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// Runs `call` with a fresh [`CallRecord`] and returns both.
pub(crate) async fn recorded<F: Future>(call: F) -> (F::Output, CallRecord) {
    CALL.scope(RefCell::new(CallRecord::default()), async {
        let output = call.await;
        (output, CALL.with(RefCell::take))
    })
    .await
}

/// Updates the current call's record; a no-op outside [`recorded`] (a user
/// calling the generated client directly).
fn record(update: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|call| update(&mut call.borrow_mut()));
}

impl ClientHooks<Hooks> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.insert(AUTHORIZATION, self.inner.authorization.clone());
        Ok(())
    }

    async fn exec(&self, request: Request, _: &OperationInfo) -> reqwest::Result<Response> {
        record(|call| call.attempts += 1);
        let result = self.client.execute(request).await;
        if let Ok(response) = &result {
            let request_id = response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            record(|call| {
                call.status = Some(response.status());
                call.request_id = request_id;
            });
        }
        result
    }
}
