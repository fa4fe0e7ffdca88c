//! Politeness toward response rate limiting (RRL: BIND's `rate-limit`, Knot's `rrl` module,
//! and the equivalents of large DNS providers). RRL counts *identical* responses per client,
//! so repeated probes of one question are what trips it, not the overall query rate (which
//! the per-address limit, `--rate`, bounds separately).
//!
//! The bound: identical UDP questions (same server address, name and type) go at most
//! [`RRL_BURST`] at once and then one per [`RRL_GAP`] — never more than 5 in any second.
//! That is the rate of BIND's documented example configuration (`responses-per-second 5`,
//! whose credit also starts at 5) and a quarter of Knot's default (`rate-limit 20`). So
//! `--probes 20` or `--rounds 3` stretch in time instead of being dropped and misread as
//! packet loss. The pacer is shared by every round and target of a run (clones of a
//! configuration share it). TCP is not rate limited by RRL and is not paced.
//!
//! Algorithm: GCRA (the virtual-scheduling form of a token bucket): each key keeps a
//! theoretical arrival time; a query may go at `tat − (burst − 1) × gap` at the earliest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};
use tokio::time::Instant;

/// Identical questions that may go to one address at once.
pub const RRL_BURST: u32 = 4;
/// Gap between identical questions to one address after the burst.
pub const RRL_GAP: Duration = Duration::from_secs(1);
/// Keys kept before the ones whose time has passed are forgotten (batches ask many names).
const PRUNE_AT: usize = 50_000;

/// GCRA state per key: each key's theoretical arrival time.
#[derive(Debug)]
struct Gcra<K> {
    tat: Mutex<HashMap<K, Instant>>,
}

impl<K> Default for Gcra<K> {
    fn default() -> Self {
        Self {
            tat: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq> Gcra<K> {
    /// The earliest time, not before `want`, at which `key` may have its next event when
    /// `burst` may come at once and then one per `gap`; reserves that slot.
    fn slot(&self, key: K, gap: Duration, burst: u32, want: Instant) -> Instant {
        self.slot_of_either([(key, gap, burst)], want)
    }

    /// The earliest slot, not before `want`, of any of `keys` (each with its `gap` and
    /// `burst`; the first on a tie), reserved on the key that has it.
    fn slot_of_either<const N: usize>(
        &self,
        keys: [(K, Duration, u32); N],
        want: Instant,
    ) -> Instant {
        let Ok(mut tat) = self.tat.lock() else {
            return want;
        };
        if tat.len() > PRUNE_AT {
            let now = Instant::now();
            tat.retain(|_, t| *t > now);
        }
        let mut best: Option<(K, Duration, Instant, Instant)> = None;
        for (key, gap, burst) in keys {
            let prev = tat.get(&key).copied().unwrap_or(want);
            let tolerance = gap * burst.saturating_sub(1);
            let at = want.max(prev.checked_sub(tolerance).unwrap_or(want));
            if best.as_ref().is_none_or(|b| at < b.3) {
                best = Some((key, gap, prev, at));
            }
        }
        let Some((key, gap, prev, at)) = best else {
            return want;
        };
        tat.insert(key, prev.max(at) + gap);
        at
    }
}

/// When identical UDP questions to one address may be sent. A handle is for one [`Lane`]:
/// the whole budget ([`RRL_BURST`] at once, one per [`RRL_GAP`]), or in `serve` half of it
/// each for rounds and on-demand traces (2 at once, one per 2 × [`RRL_GAP`]), so that a
/// round's identical questions booked seconds ahead never hold up a `/probe`, and the two
/// together keep the bound.
#[derive(Debug, Default, Clone)]
pub struct Pacer {
    gcra: std::sync::Arc<Gcra<(IpAddr, Name, RecordType, Lane)>>,
    lane: Lane,
}

impl Pacer {
    /// The same pacer, for `lane`'s share.
    #[must_use]
    pub fn lane(&self, lane: Lane) -> Self {
        Self {
            gcra: std::sync::Arc::clone(&self.gcra),
            lane,
        }
    }

    /// The earliest time, not before `want`, at which a UDP query for `name`/`qtype` may go
    /// to `addr`; reserves that slot. An on-demand query takes the rounds' share when that
    /// has the earlier slot (see [`Lane::OnDemand`]).
    pub fn slot(&self, addr: IpAddr, name: &Name, qtype: RecordType, want: Instant) -> Instant {
        let (gap, burst) = match self.lane {
            Lane::All => (RRL_GAP, RRL_BURST),
            Lane::Rounds | Lane::OnDemand => (RRL_GAP * 2, RRL_BURST / 2),
        };
        let key = |lane| (addr, name.clone(), qtype, lane);
        if self.lane == Lane::OnDemand {
            return self.gcra.slot_of_either(
                [
                    (key(Lane::OnDemand), gap, burst),
                    (key(Lane::Rounds), gap, burst),
                ],
                want,
            );
        }
        self.gcra.slot(key(self.lane), gap, burst, want)
    }
}

/// Queries that may go to one address at once before `--rate` applies.
pub const RATE_BURST: u32 = 10;

/// Who a query is for, when one process serves both scheduled rounds and on-demand traces
/// (`serve`, docs/monitoring.md "Rounds and /probe"): each has its own share of every
/// address's budget, so an on-demand trace never waits behind a round's queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lane {
    /// The whole budget (a command-line run).
    #[default]
    All,
    /// Scheduled rounds: three quarters of the rate, [`RATE_BURST`] − 3 at once.
    Rounds,
    /// On-demand traces (`/probe`, the page): a quarter of the rate, 3 at once, or the rounds'
    /// share when that has the earlier slot (the query is then charged to it). An idle serve
    /// traces on demand about as fast as a command-line run; the rounds' queue booked ahead
    /// never holds a probe up, and the lanes together keep the bound, since every query is
    /// charged to exactly one of them.
    OnDemand,
}

impl Lane {
    /// This lane's (rate, burst) of an address's `rate` and `burst`: the two shared lanes add
    /// up to the whole (each at least one query a second).
    #[must_use]
    pub fn share(self, rate: u32, burst: u32) -> (u32, u32) {
        let rounds = (rate.saturating_mul(3) / 4).max(1);
        match self {
            Self::All => (rate, burst),
            Self::Rounds => (rounds, burst.saturating_sub(3).max(1)),
            Self::OnDemand => (rate.saturating_sub(rounds).max(1), burst.min(3)),
        }
    }
}

/// The per-address politeness bound (`--rate`): a token bucket per server address, shared by
/// every target and round of a run, of [`RATE_BURST`] tokens refilled at the rate. Any `t`
/// seconds see at most `RATE_BURST + rate × t` queries to one address, TCP included. A handle
/// is for one [`Lane`]; [`Buckets::lane`] gives another handle on the same buckets.
#[derive(Debug, Default, Clone)]
pub struct Buckets {
    gcra: std::sync::Arc<Gcra<(IpAddr, Lane)>>,
    lane: Lane,
}

impl Buckets {
    /// The same buckets, taken from `lane`'s share.
    #[must_use]
    pub fn lane(&self, lane: Lane) -> Self {
        Self {
            gcra: std::sync::Arc::clone(&self.gcra),
            lane,
        }
    }

    /// The earliest time, not before `want`, at which a query may go to `addr` at `rate`
    /// queries per second after a burst of `burst` (of this handle's lane's share); reserves
    /// that token. An on-demand query takes the rounds' share when that has the earlier slot
    /// (see [`Lane::OnDemand`]).
    pub fn slot(&self, addr: IpAddr, rate: u32, burst: u32, want: Instant) -> Instant {
        let gcra = |lane: Lane| {
            let (rate, burst) = lane.share(rate, burst);
            (Duration::from_secs(1) / rate.max(1), burst)
        };
        if self.lane == Lane::OnDemand {
            let ((own_gap, own_burst), (rounds_gap, rounds_burst)) =
                (gcra(Lane::OnDemand), gcra(Lane::Rounds));
            return self.gcra.slot_of_either(
                [
                    ((addr, Lane::OnDemand), own_gap, own_burst),
                    ((addr, Lane::Rounds), rounds_gap, rounds_burst),
                ],
                want,
            );
        }
        let (gap, burst) = gcra(self.lane);
        self.gcra.slot((addr, self.lane), gap, burst, want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four identical questions go at once, then one a second: never more than five in any
    /// second; other questions and other addresses are not held up.
    #[tokio::test]
    async fn identical_questions_burst_then_one_a_second() {
        let p = Pacer::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let n = Name::from_ascii("25.113.0.203.in-addr.arpa.").unwrap();
        let slots: Vec<Duration> = (0..8)
            .map(|_| p.slot(a, &n, RecordType::PTR, t0) - t0)
            .collect();
        let secs: Vec<u64> = slots.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [0, 0, 0, 0, 1, 2, 3, 4]);
        for w in 0..5 {
            let in_window = slots
                .iter()
                .filter(|s| s.as_secs_f64() >= f64::from(w) && s.as_secs_f64() < f64::from(w) + 1.0)
                .count();
            assert!(in_window <= 5, "{in_window} in second {w}");
        }
        assert_eq!(p.slot(a, &n, RecordType::SOA, t0), t0);
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(p.slot(b, &n, RecordType::PTR, t0), t0);
    }

    /// A round's queue does not hold up an on-demand trace: with the round's share of an
    /// address booked for seconds ahead, the on-demand lane still goes at once; the two lanes
    /// together keep the address's bound (burst 10, rate 20: 7 + 15/s and 3 + 5/s).
    #[tokio::test]
    async fn on_demand_traces_have_their_own_share() {
        let b = Buckets::default();
        let (rounds, probes) = (b.lane(Lane::Rounds), b.lane(Lane::OnDemand));
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let booked: Vec<Instant> = (0..300)
            .map(|_| rounds.slot(a, 20, RATE_BURST, t0))
            .collect();
        assert!(
            booked[299] - t0 > Duration::from_secs(19),
            "{:?}",
            booked[299] - t0
        );
        let mine: Vec<Duration> = (0..6)
            .map(|_| probes.slot(a, 20, RATE_BURST, t0) - t0)
            .collect();
        assert_eq!(mine[..3], [Duration::ZERO; 3]);
        assert_eq!(mine[3], Duration::from_millis(200));
        assert_eq!(Lane::Rounds.share(20, 10), (15, 7));
        assert_eq!(Lane::OnDemand.share(20, 10), (5, 3));
        assert_eq!(Lane::All.share(20, 10), (20, 10));
        // An identical question the round booked seconds ahead does not hold up the probe.
        let pacer = Pacer::default();
        let (round, probe) = (pacer.lane(Lane::Rounds), pacer.lane(Lane::OnDemand));
        let n = Name::from_ascii("25.113.0.203.in-addr.arpa.").unwrap();
        let later = t0 + Duration::from_secs(30);
        for _ in 0..3 {
            round.slot(a, &n, RecordType::PTR, later);
        }
        assert_eq!(probe.slot(a, &n, RecordType::PTR, t0), t0);
    }

    /// With the rounds idle, an on-demand trace has the address's whole burst at once (its own
    /// 3, then the rounds' 7) and then the rounds' rate where it comes sooner (15/s against its
    /// own 5/s), and the identical-question pacer's whole burst (2 + 2); what it borrowed, the
    /// rounds then wait for; both lanes asking much together keep the bound.
    #[tokio::test]
    async fn on_demand_borrows_what_idle_rounds_leave() {
        let b = Buckets::default();
        let (rounds, probes) = (b.lane(Lane::Rounds), b.lane(Lane::OnDemand));
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let mut slots: Vec<Duration> = (0..11)
            .map(|_| probes.slot(a, 20, RATE_BURST, t0) - t0)
            .collect();
        assert_eq!(slots[..10], [Duration::ZERO; 10]);
        assert_eq!(slots[10], Duration::from_secs(1) / 15);
        assert!(
            rounds.slot(a, 20, RATE_BURST, t0) > t0,
            "the rounds' tokens were lent"
        );
        for i in 0..80 {
            let lane = if i % 2 == 0 { &rounds } else { &probes };
            slots.push(lane.slot(a, 20, RATE_BURST, t0) - t0);
        }
        slots.sort();
        for (i, s) in slots.iter().enumerate() {
            let end = *s + Duration::from_secs(1);
            let in_window = slots[i..].iter().filter(|x| **x < end).count();
            assert!(in_window <= 10 + 20, "{in_window} in the second from {s:?}");
        }
        let pacer = Pacer::default();
        let (round, probe) = (pacer.lane(Lane::Rounds), pacer.lane(Lane::OnDemand));
        let n = Name::from_ascii("25.113.0.203.in-addr.arpa.").unwrap();
        let same: Vec<Duration> = (0..5)
            .map(|_| probe.slot(a, &n, RecordType::PTR, t0) - t0)
            .collect();
        assert_eq!(same[..4], [Duration::ZERO; 4]);
        assert!(same[4] > Duration::ZERO, "{same:?}");
        assert!(round.slot(a, &n, RecordType::PTR, t0) > t0);
    }

    /// Ten queries to one address go at once, then one every 1/rate: never more than
    /// burst + rate × t in t seconds; another address has its own bucket.
    #[tokio::test]
    async fn an_address_gets_a_burst_then_the_rate() {
        let b = Buckets::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<Duration> = (0..30)
            .map(|_| b.slot(a, 20, RATE_BURST, t0) - t0)
            .collect();
        assert!(slots[..10].iter().all(|s| s.is_zero()), "{slots:?}");
        assert_eq!(slots[10], Duration::from_millis(50));
        assert_eq!(slots[29], Duration::from_millis(50 * 20));
        for (i, s) in slots.iter().enumerate() {
            let before = slots.iter().filter(|x| *x <= s).count();
            let bound = f64::from(RATE_BURST) + 20.0 * s.as_secs_f64();
            assert!(
                before as f64 <= bound + 1e-9,
                "query {i} at {s:?}: {before} > {bound}"
            );
        }
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(b.slot(other, 20, RATE_BURST, t0), t0);
    }

    /// Slots reserved ahead (a batch reserves its probes' slots when it schedules them), then
    /// more asked for sooner (TCP retries after TC=1): the late ones go after the reserved
    /// ones, so every second of the combined schedule still holds at most burst + rate.
    #[tokio::test]
    async fn late_reservations_do_not_squeeze_between_reserved_slots() {
        let b = Buckets::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let mut slots: Vec<Duration> = (0..40)
            .map(|_| b.slot(a, 20, RATE_BURST, t0) - t0)
            .collect();
        let late: Vec<Duration> = (0..10)
            .map(|_| b.slot(a, 20, RATE_BURST, t0 + Duration::from_millis(100)) - t0)
            .collect();
        assert!(late.iter().all(|l| *l >= slots[39]), "{late:?}");
        slots.extend(late);
        slots.sort();
        for (i, s) in slots.iter().enumerate() {
            let end = *s + Duration::from_secs(1);
            let in_window = slots[i..].iter().filter(|x| **x < end).count();
            assert!(in_window <= 10 + 20, "{in_window} in the second from {s:?}");
        }
    }
}
