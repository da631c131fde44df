//! Receiving a citizen report, for the JSON API and the `/lapor` form alike: budgets, checks, the
//! instant answer, placement in triage, and one write.
//!
//! Order matters for abuse: the network's budget is charged before anything else (a flood of malformed
//! reports is a flood too), the contact's once the contact is known to be one. Matching and placement
//! run on the store's blocking thread, never on the async executor, and report writes take turns
//! in-process, so that concurrent reports do not wait in SQLite's busy handler (which sleeps in steps
//! of milliseconds).

use std::net::IpAddr;
use std::sync::Mutex;

use rand_core::OsRng;
use tangkal_response::report::{
    CitizenReport, NewReport, ReportChannel, ReportConfig, ReportIntake, StatusToken, ValidReport,
};
use tangkal_response::ResponseError;
use tangkal_store::Store;

use crate::answers::InstantAnswers;
use crate::placement::Narratives;
use crate::throttle::{Budget, KeyedBudget, Network};
use crate::{AppState, Problem};

/// Most networks and contacts each budget tracks (see [`KeyedBudget`]).
const MAX_TRACKED: usize = 100_000;

pub struct ReportDesk {
    pub answers: InstantAnswers,
    pub narratives: Narratives,
    per_network: KeyedBudget<Network>,
    /// Keyed by a hash of the contact under a per-process random key: the budget never holds contacts.
    per_contact: KeyedBudget<u64>,
    contact_key: u64,
    writes: Mutex<()>,
}

/// A stored report and the token its reporter follows it with, shown only this once.
pub struct Received {
    pub report: CitizenReport,
    pub token: StatusToken,
}

pub(crate) fn budget(allowance: tangkal_response::report::Allowance) -> Budget {
    Budget { burst: allowance.burst, refill: std::time::Duration::from_secs(allowance.every_secs) }
}

/// One key for the ways people write one contact: e-mail in lower case; a phone number by its digits,
/// Indonesia's `0…` and `+62…` alike.
fn contact_identity(contact: &str) -> String {
    if contact.contains('@') {
        return contact.to_lowercase();
    }
    let digits: String = contact.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix("62").or_else(|| digits.strip_prefix('0')).unwrap_or(&digits);
    national.to_string()
}

impl ReportDesk {
    /// Builds the instant-answer matcher from the store's fact-checks and reads the narratives.
    pub fn open(store: &dyn Store, data_dir: &std::path::Path, config: &ReportConfig) -> tangkal_store::Result<Self> {
        let mut key = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut key);
        Ok(ReportDesk {
            answers: InstantAnswers::load(store)?,
            narratives: Narratives::load(data_dir.to_path_buf()),
            per_network: KeyedBudget::new(budget(config.per_network), MAX_TRACKED),
            per_contact: KeyedBudget::new(budget(config.per_contact), MAX_TRACKED),
            contact_key: u64::from_le_bytes(key),
            writes: Mutex::new(()),
        })
    }

    fn contact_hash(&self, contact: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(contact_identity(contact).as_bytes(), self.contact_key)
    }

    /// Charges one report to `client`'s network: the first thing done with anything sent to be reported.
    pub fn admit(&self, client: IpAddr) -> Result<(), Problem> {
        self.per_network.check(&Network::of(client)).map_err(|r| r.problem("reports from this network"))
    }

    /// What intake finds for a valid report: the instant answer, or else the narrative it reads like and
    /// that narrative's open case. CPU work and reads: call it on the store's thread.
    pub(crate) fn triage(
        &self,
        s: &dyn Store,
        valid: &ValidReport,
        channel: ReportChannel,
    ) -> tangkal_store::Result<ReportIntake> {
        let mut intake = ReportIntake { channel, ..ReportIntake::default() };
        if let Some(words) = &valid.matchable_text {
            intake.answer = self.answers.answer(words);
        }
        let placed = match (&intake.answer, &valid.text) {
            (None, Some(text)) => self.narratives.place(text),
            _ => None,
        };
        if let Some((narrative, case)) = placed.map(|n| s.triage_of(n)).transpose()?.flatten() {
            (intake.narrative_id, intake.case_id) = (Some(narrative), case);
        }
        Ok(intake)
    }

    /// Report writes take turns in-process (see the module's documentation): hold this while writing one.
    pub(crate) fn write_turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a report was not taken.
pub enum NotTaken {
    /// A field is wrong (422), named in the error.
    Invalid(ResponseError),
    /// Over a budget (429), or the store failed.
    Refused(Problem),
}

impl From<Problem> for NotTaken {
    fn from(p: Problem) -> NotTaken {
        NotTaken::Refused(p)
    }
}

impl From<NotTaken> for Problem {
    fn from(n: NotTaken) -> Problem {
        match n {
            NotTaken::Invalid(e) => e.into(),
            NotTaken::Refused(p) => p,
        }
    }
}

/// Receives a report from `client`: refuses it (429 over a budget, 422 naming the field), or answers it
/// from the fact-checks, or places it in triage, and stores it in one transaction.
pub async fn receive(
    state: &AppState,
    client: IpAddr,
    new: NewReport,
    channel: ReportChannel,
) -> Result<Received, NotTaken> {
    let desk = state.reports.clone();
    desk.admit(client)?;
    let valid = new.validate(&state.config.platforms).map_err(NotTaken::Invalid)?;
    if let Some(contact) = &valid.contact {
        desk.per_contact.check(&desk.contact_hash(contact)).map_err(|r| r.problem("reports for this contact"))?;
    }
    let now = state.clock.now();
    let token = StatusToken::generate(&mut OsRng);
    let hash = token.hash();
    let report = state
        .pool
        .run(move |s| {
            let intake = desk.triage(s, &valid, channel)?;
            let report = CitizenReport::received(&valid, &intake, now);
            let _turn = desk.write_turn();
            s.add_report(&report, &hash)
        })
        .await?;
    Ok(Received { report, token })
}

#[cfg(test)]
mod tests {
    use super::contact_identity;

    #[test]
    fn one_contact_written_several_ways_is_one_key() {
        assert_eq!(contact_identity("Budi@Example.ID"), contact_identity("budi@example.id"));
        let phone = contact_identity("0812-3456-7890");
        for same in ["+62 812 3456 7890", "62812.3456.7890", "(0812) 3456 7890"] {
            assert_eq!(contact_identity(same), phone, "{same}");
        }
        assert_ne!(contact_identity("0813-3456-7890"), phone);
    }
}
