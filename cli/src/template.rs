//! `openscaler backend template`: the vendor page's example backend, as a
//! commented YAML file to start from (or plain JSON, which has no comments).

/// The page's example, commented. Tests check that it reads back as the
/// page's body and that each enum comment lists every value the SDK knows.
pub const YAML: &str = r#"# An OpenScaler backend: the example from the vendor's "Update a Backend" page.
# Send it with:  openscaler backend update LB_ID BACKEND_NAME -f this-file.yaml
# An update replaces the whole backend: a field left out is reset to its default.

name: api-backend              # unique name for this backend
mode: http                     # http | tcp
balancing_method: roundrobin   # roundrobin | leastconn | first
port: 8080                     # 1-65535: a number, or a string such as "8080"

servers:                       # OpenScaler computers by id ...
  type: computer               # computer | ip
  computer_ids: ["23", "24"]
# ... or servers by IP address:
#   type: ip
#   ips: ["10.0.0.5", "2001:db8::5"]

options:                       # all optional: leave out what you do not need
  tls: false                   # connect to the servers over TLS
  tls_verify: false            # verify the servers' certificates
  forward_for: true            # add an X-Forwarded-For header
  proxy_protocol: v2           # v1 | v2
  sticky_session:              # keep a client on the same server
    type: cookie               # cookie
    cookie: SERVERID           # name of the cookie
    ttl: 5m                    # a whole number and ms | s | m | h | d
  health_check:
    type: http                 # http | tcp
    path: /health              # http checks: path to request, starting with /
    method: GET
    port: 80                   # when it differs from the backend's port
    expected_code: "200"       # HTTP status expected, "100" to "599"
    host_header: example.com
"#;

/// The page's example as JSON.
pub fn json() -> serde_json::Value {
    crate::doc::parse("template", YAML)
        .expect("the template is valid YAML")
        .value
}

#[cfg(test)]
mod tests {
    use super::*;
    use openscaler::{BalancingMethod, HealthCheckType, Mode, ProxyProtocol, StickySessionType};

    /// The comment on each enum field lists every value the SDK knows.
    #[test]
    fn enum_comments_list_every_known_value() {
        let fields: [(&str, &[&str]); 5] = [
            ("mode:", Mode::KNOWN),
            ("balancing_method:", BalancingMethod::KNOWN),
            ("proxy_protocol:", ProxyProtocol::KNOWN),
            ("type: cookie", StickySessionType::KNOWN),
            ("type: http", HealthCheckType::KNOWN),
        ];
        for (start, known) in fields {
            let line = YAML
                .lines()
                .find(|l| l.trim_start().starts_with(start))
                .unwrap_or_else(|| panic!("no line starting {start:?}"));
            let comment = line.split_once('#').unwrap().1.trim();
            let listed: Vec<_> = comment.split(" | ").collect();
            assert_eq!(listed, known, "{line}");
        }
    }

    #[test]
    fn the_template_is_a_valid_backend() {
        assert!(crate::body::backend_from_value(&json()).is_ok());
    }
}
