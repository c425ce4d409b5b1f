//! The limits on failed logins, kept in the server's memory: per client address and per
//! submitted name, as `trial::accounts` decides them (`admit`, `forgive`). Each table is a map
//! from key to window, bounded: when it is full, the windows that are over are dropped, then
//! the oldest, so that a flood of distinct addresses or names cannot grow it.
//!
//! The client address is the connection's peer (`ConnectInfo<SocketAddr>`, which `serve`
//! provides); the last address of `X-Forwarded-For` only when the server is told to trust a
//! proxy in front of it. An IPv6 address is counted by its /64 prefix (what one site or host is
//! usually given). A request without a peer address (a router called directly, in tests) is
//! counted under one fixed key.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use time::OffsetDateTime;
use trial::accounts::{admit, forgive, Limit, Window};

use crate::app::AppState;

/// The key of a request without a peer address.
const NO_ADDRESS: &str = "unknown";

/// Where a request comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The address as printed (in the e-mail that tells an owner of a lock).
    pub address: String,
    /// The key its failed logins are counted under.
    pub key: String,
}

impl Client {
    /// The client at an address.
    pub fn at(ip: IpAddr) -> Client {
        let ip = ip.to_canonical();
        let key = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
        };
        Client {
            address: ip.to_string(),
            key,
        }
    }

    /// A client whose address is not known.
    pub fn unknown() -> Client {
        Client {
            address: NO_ADDRESS.into(),
            key: NO_ADDRESS.into(),
        }
    }
}

/// The last address of an `X-Forwarded-For` header (the one the proxy itself saw).
fn forwarded(parts: &Parts) -> Option<IpAddr> {
    let header = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?;
    header
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The client of a request: the last `X-Forwarded-For` address when a proxy is trusted and it
/// sent one, else the connection's peer, else the fixed key.
pub fn client_of(parts: &Parts, trust_proxy: bool) -> Client {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let proxied = if trust_proxy { forwarded(parts) } else { None };
    proxied.or(peer).map_or_else(Client::unknown, Client::at)
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Client, Infallible> {
        Ok(client_of(parts, state.trust_proxy))
    }
}

/// One table: the windows of its keys under one limit.
struct Table {
    limit: Limit,
    windows: HashMap<String, Window>,
}

impl Table {
    fn new(limit: Limit) -> Table {
        Table {
            limit,
            windows: HashMap::new(),
        }
    }

    fn admit(&self, key: &str, now: OffsetDateTime) -> Result<Window, time::Duration> {
        admit(self.windows.get(key).copied(), self.limit, now)
    }

    /// Keeps a key's window, making room first when the table is full.
    fn put(&mut self, key: &str, window: Window, capacity: usize, now: OffsetDateTime) {
        if !self.windows.contains_key(key) && self.windows.len() >= capacity {
            let limit = self.limit;
            self.windows.retain(|_, w| !w.is_over(limit, now));
            if self.windows.len() >= capacity {
                let oldest = self
                    .windows
                    .iter()
                    .min_by_key(|(_, w)| w.since)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.windows.remove(&oldest);
                }
            }
        }
        self.windows.insert(key.to_string(), window);
    }

    fn forgive(&mut self, key: &str) {
        match self.windows.get(key).copied().and_then(forgive) {
            Some(w) => self.windows.insert(key.to_string(), w),
            None => self.windows.remove(key),
        };
    }
}

struct Tables {
    addresses: Table,
    names: Table,
}

/// The failed logins of the server, per client address and per submitted name.
pub struct LoginThrottle {
    capacity: usize,
    tables: Mutex<Tables>,
}

/// An attempt let through: its keys, to take it back when it succeeds.
#[derive(Debug)]
pub struct Admitted {
    address: String,
    name: String,
}

impl LoginThrottle {
    /// Tables with these limits, each holding at most `capacity` keys.
    pub fn new(per_address: Limit, per_name: Limit, capacity: usize) -> LoginThrottle {
        LoginThrottle {
            capacity: capacity.max(1),
            tables: Mutex::new(Tables {
                addresses: Table::new(per_address),
                names: Table::new(per_name),
            }),
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an attempt from the address `address` with the name key `name`, when neither has
    /// used up its failures; else how long to wait (the longer of the two), counting nothing.
    pub fn admit(
        &self,
        address: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<Admitted, time::Duration> {
        let mut t = self.tables();
        let (by_address, by_name) = (t.addresses.admit(address, now), t.names.admit(name, now));
        match (by_address, by_name) {
            (Ok(a), Ok(n)) => {
                t.addresses.put(address, a, self.capacity, now);
                t.names.put(name, n, self.capacity, now);
                Ok(Admitted {
                    address: address.to_string(),
                    name: name.to_string(),
                })
            }
            (Err(a), Err(n)) => Err(a.max(n)),
            (Err(wait), _) | (_, Err(wait)) => Err(wait),
        }
    }

    /// Takes back an admitted attempt that succeeded.
    pub fn succeeded(&self, attempt: Admitted) {
        let mut t = self.tables();
        t.addresses.forgive(&attempt.address);
        t.names.forgive(&attempt.name);
    }

    /// How many keys each table holds (addresses, names).
    pub fn len(&self) -> (usize, usize) {
        let t = self.tables();
        (t.addresses.windows.len(), t.names.windows.len())
    }
}

impl Default for LoginThrottle {
    /// The limits of `trial::accounts` (`PER_ADDRESS`, `PER_NAME`), 10,000 keys per table.
    fn default() -> LoginThrottle {
        LoginThrottle::new(
            trial::accounts::PER_ADDRESS,
            trial::accounts::PER_NAME,
            10_000,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    fn limit(failures: u32) -> Limit {
        Limit {
            failures,
            window: Duration::minutes(15),
        }
    }

    #[test]
    fn a_flood_of_distinct_keys_keeps_each_table_within_its_capacity() {
        let throttle = LoginThrottle::new(limit(3), limit(3), 100);
        let now = datetime!(2026-12-06 10:00 UTC);
        for i in 0..10_000 {
            let at = now + Duration::milliseconds(i);
            throttle
                .admit(
                    &format!("10.0.{}.{}", i / 256, i % 256),
                    &format!("n{i}"),
                    at,
                )
                .unwrap();
        }
        assert_eq!(throttle.len(), (100, 100));
        // The newest keys are the ones kept.
        let later = now + Duration::seconds(10);
        for _ in 0..2 {
            throttle.admit("10.0.39.15", "x", later).unwrap();
        }
        assert!(throttle.admit("10.0.39.15", "y", later).is_err());
    }

    #[test]
    fn a_refused_attempt_counts_on_neither_key_and_a_success_is_taken_back() {
        let throttle = LoginThrottle::new(limit(2), limit(3), 100);
        let now = datetime!(2026-12-06 10:00 UTC);
        throttle.admit("a", "mon", now).unwrap();
        throttle.admit("a", "mon", now).unwrap();
        assert_eq!(
            throttle.admit("a", "mon", now).unwrap_err(),
            Duration::minutes(15)
        );
        // "mon" still has one failure left, from another address.
        let ok = throttle.admit("b", "mon", now).unwrap();
        throttle.succeeded(ok);
        throttle.admit("c", "mon", now).unwrap();
        assert!(throttle.admit("d", "mon", now).is_err());
    }

    fn parts(peer: Option<&str>, forwarded: &[&str]) -> Parts {
        let mut request = axum::http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            let addr: SocketAddr = peer.parse().unwrap();
            parts.extensions.insert(ConnectInfo(addr));
        }
        parts
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let proxied = parts(Some("10.0.0.1:4000"), &["203.0.113.9, 198.51.100.7"]);
        assert_eq!(client_of(&proxied, false).key, "10.0.0.1");
        assert_eq!(client_of(&proxied, true).key, "198.51.100.7");
        // The last header's last address: the one the proxy appended.
        let two = parts(Some("10.0.0.1:4000"), &["203.0.113.9", "192.0.2.44"]);
        assert_eq!(client_of(&two, true).key, "192.0.2.44");
        // Not an address: the peer.
        let junk = parts(Some("10.0.0.1:4000"), &["unknown"]);
        assert_eq!(client_of(&junk, true).key, "10.0.0.1");
        assert_eq!(client_of(&parts(None, &[]), true), Client::unknown());
        assert_eq!(
            client_of(&parts(None, &["192.0.2.44"]), false).key,
            "unknown"
        );
    }

    #[test]
    fn addresses_are_keyed_by_ipv4_and_by_ipv6_prefix() {
        let v6 = Client::at("2001:db8:1:2:3:4:5:6".parse().unwrap());
        assert_eq!(v6.key, "2001:db8:1:2::/64");
        assert_eq!(v6.address, "2001:db8:1:2:3:4:5:6");
        let mapped = Client::at("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(mapped.key, "192.0.2.1");
    }
}
