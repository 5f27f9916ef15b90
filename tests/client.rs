//! Client configuration: defaults, the environment, and the token kept out
//! of every printable form.

use std::time::Duration;

use openscaler::{Client, ErrorKind};

#[test]
fn defaults_to_the_production_url() {
    let client = Client::builder().token("t").build().unwrap();
    assert_eq!(client.base_url(), openscaler::DEFAULT_BASE_URL);
}

#[test]
fn a_token_is_required_and_must_fit_a_header() {
    let error = Client::builder().build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("OPENSCALER_TOKEN"), "{error}");

    let secret = "line\nbreak-secret";
    let error = Client::builder().token(secret).build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(
        !format!("{error} {error:?}").contains("break-secret"),
        "{error:?}"
    );
}

#[test]
fn bad_base_urls_are_named() {
    for url in [
        "ftp://example.com",
        "not a url",
        "https://example.com/?x=1",
        "https://user:pw@example.com",
    ] {
        let error = Client::builder()
            .token("t")
            .base_url(url)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{url}");
        assert!(error.to_string().contains("base_url"), "{error}");
    }
    let client = Client::builder()
        .token("t")
        .base_url("http://127.0.0.1:9/prefix/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/prefix");
}

#[test]
fn debug_output_never_shows_the_token() {
    let secret = "s3cr3t-t0k3n-value";
    let builder = Client::builder()
        .token(secret)
        .timeout(Duration::from_secs(3));
    let shown = format!("{builder:?}");
    assert!(!shown.contains(secret), "{shown}");
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

/// The only test in this binary that touches the environment, so no other
/// test sees it change.
#[test]
fn from_env_reads_the_three_variables() {
    let clear = || {
        for var in [
            openscaler::ENV_TOKEN,
            openscaler::ENV_BASE_URL,
            openscaler::ENV_TIMEOUT_SECS,
        ] {
            std::env::remove_var(var);
        }
    };
    clear();
    let error = Client::from_env().unwrap_err();
    assert!(error.to_string().contains("OPENSCALER_TOKEN"), "{error}");

    std::env::set_var(openscaler::ENV_TOKEN, "env-token");
    std::env::set_var(openscaler::ENV_BASE_URL, "http://127.0.0.1:8080/");
    std::env::set_var(openscaler::ENV_TIMEOUT_SECS, "2.5");
    let client = Client::from_env().unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:8080");

    std::env::set_var(openscaler::ENV_TIMEOUT_SECS, "soon");
    let error = Client::from_env().unwrap_err();
    assert!(
        error
            .to_string()
            .contains(r#"OPENSCALER_TIMEOUT_SECS: "soon""#),
        "{error}"
    );
    std::env::set_var(openscaler::ENV_TIMEOUT_SECS, "0");
    assert!(Client::from_env().is_err());
    clear();
}

/// A call's future stays small: 64 calls in flight are 64 of these, and
/// every poll touches one (BENCHMARKS.md: at 2,240 bytes, three and a half
/// times reqwest's own send-and-parse, the SDK lost 3 to 5 % of its
/// throughput to it). Nothing is sent: the future is never polled.
#[test]
fn a_call_s_future_stays_small() {
    use openscaler::{Backend, BalancingMethod, Mode, Servers};
    let client = Client::builder().token("t").build().unwrap();
    let backend = Backend::named("web")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::RoundRobin)
        .port(80)
        .servers(Servers::computers(["1"]))
        .build()
        .unwrap();
    // What `.send()` gives, and what `.await` on the request drives (it
    // boxes the same future: the box holds it, the caller a pointer).
    let call = client.update_backend("42", "web", &backend).send();
    let size = std::mem::size_of_val(&call);

    // reqwest's own send and parse, for scale.
    let http = reqwest::Client::new();
    let raw = async {
        http.put("http://127.0.0.1:1/")
            .json(&backend)
            .send()
            .await?
            .json::<Backend>()
            .await
    };
    let raw = std::mem::size_of_val(&raw);
    assert!(
        size <= 1024,
        "update_backend's future: {size} bytes (reqwest's: {raw})"
    );
    // The request itself, before it is sent: a body is held by reference
    // (or boxed), never inline.
    let request = client.update_backend("42", "web", &backend);
    assert!(
        std::mem::size_of_val(&request) <= 64,
        "{}",
        std::mem::size_of_val(&request)
    );
}
