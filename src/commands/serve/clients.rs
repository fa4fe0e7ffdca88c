//! `/probe`'s per-client allowance (docs/security.md "serve"): one probe per client per
//! `[probe] per_client_interval`, over all targets. A client is an IPv4 address or an IPv6
//! /64 (one host usually holds a whole /64). The table is bounded and each request costs O(1)
//! amortised: entries are kept in the order they were charged, expired ones leave from the
//! front, and when the table is full the oldest charge is forgotten first.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Clients remembered at most (about 3 MB at most).
pub const MAX_CLIENTS: usize = 65_536;

/// The key a client is counted by: its IPv4 address, or its IPv6 /64.
pub fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

/// When each client was last charged a probe.
#[derive(Debug)]
pub struct Clients {
    last: HashMap<IpAddr, Instant>,
    order: VecDeque<(Instant, IpAddr)>,
    cap: usize,
}

impl Clients {
    /// An empty table holding at most `cap` clients.
    pub fn new(cap: usize) -> Self {
        Self {
            last: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Clients remembered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.last.len()
    }

    /// How long `client` must still wait at `now` (None: it may probe).
    pub fn wait(&mut self, client: IpAddr, now: Instant, gap: Duration) -> Option<Duration> {
        self.expire(now, gap);
        let since = now.saturating_duration_since(*self.last.get(&key(client))?);
        (since < gap).then(|| gap - since)
    }

    /// Charges `client` one probe at `now`.
    pub fn charge(&mut self, client: IpAddr, now: Instant, gap: Duration) {
        self.expire(now, gap);
        let k = key(client);
        self.last.insert(k, now);
        self.order.push_back((now, k));
        while self.last.len() > self.cap {
            self.pop_front();
        }
        // Re-charged clients leave stale entries behind: never more than one per entry kept.
        while self.order.len() > 2 * self.cap {
            self.pop_front();
        }
    }

    /// Forgets the charges older than `gap`.
    fn expire(&mut self, now: Instant, gap: Duration) {
        while let Some(&(at, _)) = self.order.front() {
            if now.saturating_duration_since(at) < gap {
                break;
            }
            self.pop_front();
        }
    }

    /// Removes the oldest entry, and its client when that entry is the client's latest.
    fn pop_front(&mut self) {
        if let Some((at, k)) = self.order.pop_front()
            && self.last.get(&k) == Some(&at)
        {
            self.last.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: Duration = Duration::from_secs(10);

    /// One probe per client per gap, whatever the target; the gap's end frees it.
    #[test]
    fn one_probe_per_client_per_gap() {
        let mut c = Clients::new(16);
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(c.wait(a, t0, GAP), None);
        c.charge(a, t0, GAP);
        assert_eq!(
            c.wait(a, t0 + Duration::from_secs(4), GAP),
            Some(Duration::from_secs(6))
        );
        assert_eq!(c.wait(b, t0, GAP), None, "another client is not limited");
        assert_eq!(c.wait(a, t0 + GAP, GAP), None);
        assert_eq!(c.len(), 0, "expired clients are forgotten");
    }

    /// An IPv6 client is its /64: cycling through its addresses gains nothing.
    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let mut c = Clients::new(16);
        let t0 = Instant::now();
        c.charge("2001:db8:1:2::1".parse().unwrap(), t0, GAP);
        assert!(
            c.wait("2001:db8:1:2:ffff::9".parse().unwrap(), t0, GAP)
                .is_some()
        );
        assert!(
            c.wait("2001:db8:1:3::1".parse().unwrap(), t0, GAP)
                .is_none()
        );
        c.charge("::ffff:192.0.2.7".parse().unwrap(), t0, GAP);
        assert!(c.wait("192.0.2.7".parse().unwrap(), t0, GAP).is_some());
    }

    /// The table never holds more than its cap, however many clients and re-charges come:
    /// the oldest charge is forgotten first.
    #[test]
    fn the_table_is_bounded() {
        let mut c = Clients::new(100);
        let t0 = Instant::now();
        for i in 0..10_000u32 {
            let ip = IpAddr::V4(i.into());
            let now = t0 + Duration::from_millis(u64::from(i));
            c.charge(ip, now, Duration::from_secs(3600));
            c.charge(ip, now, Duration::from_secs(3600));
            assert!(c.len() <= 100 && c.order.len() <= 200);
        }
        let newest = IpAddr::V4(9_999u32.into());
        let now = t0 + Duration::from_secs(10);
        assert!(c.wait(newest, now, Duration::from_secs(3600)).is_some());
        assert!(
            c.wait(IpAddr::V4(0u32.into()), now, Duration::from_secs(3600))
                .is_none()
        );
    }
}
