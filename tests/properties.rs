//! Property tests. Case counts: 512 valid backends round-trip; 2048
//! arbitrary JSON values and 2048 arbitrary byte strings never panic the
//! parser.

use std::time::Duration;

use openscaler::{
    Backend, BalancingMethod, HealthCheck, Mode, Port, ProxyProtocol, Servers, StickySession,
};
use proptest::prelude::*;
use serde_json::Value;

fn mode() -> impl Strategy<Value = Mode> {
    prop::sample::select(Mode::KNOWN).prop_map(Mode::from)
}

fn balancing_method() -> impl Strategy<Value = BalancingMethod> {
    prop::sample::select(BalancingMethod::KNOWN).prop_map(BalancingMethod::from)
}

fn port() -> impl Strategy<Value = Port> {
    prop_oneof![
        (1u16..).prop_map(Port::from),
        (1u16..).prop_map(|p| Port::from(p.to_string()))
    ]
}

fn servers() -> impl Strategy<Value = Servers> {
    prop_oneof![
        prop::collection::btree_set("[a-z0-9-]{1,12}", 1..6).prop_map(Servers::computers),
        prop::collection::btree_set(any::<std::net::IpAddr>(), 1..6).prop_map(Servers::ips),
    ]
}

fn health_check() -> impl Strategy<Value = HealthCheck> {
    let http = (
        "/[a-z/]{0,16}",
        prop::option::of(1u16..),
        prop::option::of(100u16..600),
        prop::option::of("[A-Z]{3,7}"),
    )
        .prop_map(|(path, port, code, method)| {
            let mut check = HealthCheck::http(path);
            check.port = port;
            check.expected_code = code.map(|c| c.to_string());
            check.method = method;
            check
        });
    prop_oneof![http, Just(HealthCheck::tcp())]
}

fn backend() -> impl Strategy<Value = Backend> {
    (
        "[a-zA-Z0-9 _.-]{1,24}",
        mode(),
        balancing_method(),
        port(),
        servers(),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(ProxyProtocol::KNOWN).prop_map(ProxyProtocol::from)),
        prop::option::of(
            ("[A-Z]{1,10}", 1u64..1_000_000)
                .prop_map(|(c, ms)| StickySession::cookie(c, Duration::from_millis(ms))),
        ),
        prop::option::of(health_check()),
    )
        .prop_map(
            |(name, mode, method, port, servers, tls, proxy, sticky, check)| {
                let mut builder = Backend::named(name)
                    .mode(mode)
                    .balancing_method(method)
                    .port(port)
                    .servers(servers);
                if let Some(tls) = tls {
                    builder = builder.tls(tls).tls_verify(!tls);
                }
                if let Some(proxy) = proxy {
                    builder = builder.proxy_protocol(proxy);
                }
                if let Some(sticky) = sticky {
                    builder = builder.sticky_session(sticky);
                }
                if let Some(check) = check {
                    builder = builder.health_check(check);
                }
                builder.build().expect("the strategy makes valid backends")
            },
        )
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            "[a-z_]{0,12}".prop_map(Value::from),
            prop::sample::select(vec![
                "http",
                "tcp",
                "computer",
                "ip",
                "type",
                "roundrobin",
                "23"
            ])
            .prop_map(Value::from),
        ],
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop::sample::select(vec![
            "name",
            "mode",
            "balancing_method",
            "port",
            "servers",
            "options",
            "type",
            "computer_ids",
            "ips",
            "health_check",
            "sticky_session",
            "ttl",
            "other",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(keys, inner, 0..8).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every valid backend serializes and parses back equal.
    #[test]
    fn valid_backends_round_trip(backend in backend()) {
        let wire = serde_json::to_vec(&backend).unwrap();
        let back: Backend = serde_json::from_slice(&wire).unwrap();
        prop_assert_eq!(&back, &backend);
        back.validate().unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Arbitrary JSON, shaped like a backend or not, never panics the parser
    /// or the checks.
    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        if let Ok(backend) = serde_json::from_value::<Backend>(value.clone()) {
            let _ = backend.validate();
            let _ = serde_json::to_value(&backend).unwrap();
        }
        let _ = serde_json::from_value::<Servers>(value.clone());
        let _ = serde_json::from_value::<Port>(value);
    }

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<Backend>(&bytes);
    }
}
