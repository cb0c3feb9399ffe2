//! The write path: a batch of changes resolved against the identity index, merged, sealed and committed in one
//! atomic sled batch together with the audit entry that records it.
//!
//! One writer at a time holds the store's writer lock for the life of a [`WriteBatch`]. Each [`Change`] is first
//! checked without touching any state (lookups, suppression, limits), so a refused change leaves the batch as it was;
//! only then is it applied to the batch's in-memory overlay. Nothing reaches disk before [`WriteBatch::commit`].

use crate::audit_log::{self, AuditRecord};
use crate::consent::{ConsentEvent, ConsentState};
use crate::keyspace::{self, pseudonym_key};
use crate::subject::{
    AttributeValue, StoredEvent, StoredIdentifier, SubjectBody, SubjectFlags, SubjectHeader,
    SubjectId, body_aad, page_aad, wrap_context,
};
use crate::{Store, StoreError, WriterState, meta};
use cohort_crypto::{DataKey, Pseudonym, WrappedKey};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, MutexGuard};

/// Events kept inline in a subject's body; beyond this the oldest [`EVENT_PAGE_SIZE`] move to a sealed page.
/// 128 keeps a typical body under ~32 KiB so that rewriting it on each new event stays cheap.
pub const INLINE_EVENTS_MAX: usize = 128;
/// Events per sealed event page.
pub const EVENT_PAGE_SIZE: usize = 64;
/// Identifiers one subject may hold. A record that would merge past it is refused: chains of shared ids
/// (a family tablet's anonymous id, a shared office phone) otherwise snowball into one "super-subject".
pub const MAX_IDENTIFIERS_PER_SUBJECT: usize = 64;

/// One identifier of a change, already normalised and pseudonymised by the caller.
#[derive(Debug, Clone)]
pub struct IdentifierInput {
    /// Identifier kind.
    pub kind: String,
    /// Pseudonyms under every identity key, newest first.
    pub pseudonyms: Vec<Pseudonym>,
    /// The normalised value, only for kinds the policy releases as contact identifiers.
    pub contact_value: Option<String>,
}

/// One consent event of a change.
#[derive(Debug, Clone)]
pub struct ConsentInput {
    /// Purpose id (checked against the policy by the caller).
    pub purpose: String,
    /// The event.
    pub event: ConsentEvent,
}

/// What one record asks the store to do.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The source of the record.
    pub source: String,
    /// When it was received (RFC 3339, UTC).
    pub received_at: String,
    /// Day number of `received_at`.
    pub received_day: u32,
    /// Identifiers (at least one).
    pub identifiers: Vec<IdentifierInput>,
    /// Minimised, generalised attributes.
    pub attributes: Vec<(String, serde_json::Value)>,
    /// Minimised events.
    pub events: Vec<StoredEvent>,
    /// Consent events.
    pub consents: Vec<ConsentInput>,
    /// Create a subject when no identifier matches (false for consent changes on known people).
    pub create_if_missing: bool,
}

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// A new subject was created.
    Created(SubjectId),
    /// An existing subject was updated.
    Updated(SubjectId),
    /// Several subjects were merged into `into`.
    Merged {
        /// The surviving subject.
        into: SubjectId,
        /// How many other subjects were merged into it.
        merged: usize,
    },
    /// An identifier belongs to an erased subject: nothing was stored.
    Suppressed,
}

/// A change the store refused; the batch is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The change names no identifier.
    #[error("the record has no identifier")]
    NoIdentifier,
    /// No subject matches and the change may not create one.
    #[error("no subject matches the given identifiers")]
    NoSuchSubject,
    /// The change would give a subject too many identifiers.
    #[error(
        "the record would give one subject {count} identifiers (limit {MAX_IDENTIFIERS_PER_SUBJECT}); \
         it links too many existing subjects"
    )]
    TooManyIdentifiers {
        /// The count it would reach.
        count: usize,
    },
    /// The store failed; the batch must be dropped.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Options of a batch, from the policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchOptions {
    /// The policy lets an erased person back in when a record carries a consent grant dated after the erasure.
    pub reimport_with_new_consent: bool,
    /// A bulk load (ingest): worth building the in-memory identity filter, which costs one scan of the identity
    /// index the first time, so that lookups of new identifiers skip sled.
    pub bulk: bool,
}

/// What a commit wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// Subjects created.
    pub created: u64,
    /// Subjects updated.
    pub updated: u64,
    /// Subjects merged away.
    pub merged: u64,
    /// Changes refused because an identifier is suppressed.
    pub suppressed: u64,
    /// The audit entry's sequence number.
    pub audit_seq: u64,
    /// Keys the sled batch wrote or removed (benchmarks compare with plain sled writing as many).
    pub keys_written: u64,
    /// Key and value bytes the sled batch wrote.
    pub bytes_written: u64,
}

/// The writes of a commit, recorded so that they can be both applied to sled (in the background) and read back
/// by the next batch before they land (the overlay).
#[derive(Default)]
pub(crate) struct CountingBatch {
    pub(crate) ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pub(crate) keys: u64,
    pub(crate) bytes: u64,
}

impl CountingBatch {
    pub(crate) fn insert(&mut self, k: &[u8], v: impl Into<Vec<u8>>) {
        let v = v.into();
        self.keys += 1;
        self.bytes += (k.len() + v.len()) as u64;
        self.ops.push((k.to_vec(), Some(v)));
    }

    pub(crate) fn remove(&mut self, k: &[u8]) {
        self.keys += 1;
        self.bytes += k.len() as u64;
        self.ops.push((k.to_vec(), None));
    }
}

impl crate::audit_log::Sink for CountingBatch {
    fn put(&mut self, k: &[u8], v: Vec<u8>) {
        self.ops.push((k.to_vec(), Some(v)));
    }
}

/// The writes of the commit in flight, by key (`None`: removed).
pub(crate) type Overlay = HashMap<Vec<u8>, Option<Vec<u8>>>;

/// Told on the background writer whether a commit is durable (`Ok`) or failed (`Err`); see
/// [`WriteBatch::commit_async_then`].
pub type OnSettled = Box<dyn FnOnce(Result<(), &StoreError>) + Send + 'static>;

/// A commit handed to the background writer.
pub(crate) struct Inflight {
    overlay: Arc<Overlay>,
    handle: Option<std::thread::JoinHandle<Result<(), StoreError>>>,
}

impl Inflight {
    /// Waits until the commit is durable.
    pub(crate) fn wait(&mut self) -> Result<(), StoreError> {
        match self.handle.take() {
            None => Ok(()),
            Some(h) => h
                .join()
                .map_err(|_| StoreError::Corrupt("the background writer panicked".into()))?,
        }
    }
}

/// The erased-at time of a suppressed change and the suppression keys it hit.
type Suppressed = (String, Vec<[u8; 37]>);

struct Pending {
    header: SubjectHeader,
    body: SubjectBody,
    key: DataKey,
    is_new: bool,
    /// Pages to write: page number -> events.
    new_pages: Vec<(u32, Vec<StoredEvent>)>,
}

/// A batch of changes under the writer lock.
pub struct WriteBatch<'s> {
    store: &'s Store,
    state: MutexGuard<'s, WriterState>,
    options: BatchOptions,
    subjects: HashMap<SubjectId, Pending>,
    /// Pending identity index writes (Some) and removals (None), by index key.
    identities: HashMap<[u8; 37], Option<SubjectId>>,
    /// Subjects merged away in this batch.
    removed: BTreeSet<SubjectId>,
    /// Page keys of merged-away subjects to delete.
    removed_pages: Vec<[u8; 21]>,
    /// Other keys of merged-away subjects to delete (their memberships).
    removed_keys: Vec<Vec<u8>>,
    /// Vault slots allocated in this batch.
    new_slots: Vec<u64>,
    /// Wrapped keys of subjects created in this batch, written to the vault at commit in as few writes as possible.
    new_keys: Vec<(u64, SubjectId, WrappedKey)>,
    /// Vault slots freed by merges; shredded after commit.
    freed_slots: Vec<u64>,
    next_slot: u64,
    lifted_suppressions: Vec<[u8; 37]>,
    report: CommitReport,
    /// The previous commit's writes while it is still being written in the background.
    overlay: Option<Arc<Overlay>>,
}

impl Store {
    /// Builds the identity filter from one scan of the identity index.
    fn build_identity_filter(&self) -> Result<crate::filter::IdentityFilter, StoreError> {
        let keys: Vec<sled::IVec> = self
            .tree
            .scan_prefix([keyspace::IDENTITY])
            .keys()
            .collect::<Result<_, _>>()?;
        let mut filter = crate::filter::IdentityFilter::with_capacity(keys.len() * 2);
        for k in &keys {
            filter.insert(k);
        }
        Ok(filter)
    }

    /// Starts a batch; blocks while another batch is open.
    pub fn batch(&self, options: BatchOptions) -> WriteBatch<'_> {
        let state = match self.writer.lock() {
            Ok(g) => g,
            // A panic in another writer left the lock poisoned; its batch was never committed, so the state
            // (which only changes after a successful commit) is still consistent.
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut state = state;
        if options.bulk
            && state
                .identity_filter
                .as_ref()
                .is_none_or(|f| f.is_overfull())
        {
            // The scan must see every identity written so far, so no commit may still be in flight. Without a
            // filter the batch simply asks sled for every identifier.
            state.identity_filter = match state.settle() {
                Ok(()) => self.build_identity_filter().ok(),
                Err(_) => None,
            };
        }
        let next_slot = state.vault_next;
        let overlay = state.inflight.as_ref().map(|i| i.overlay.clone());
        WriteBatch {
            overlay,
            store: self,
            state,
            options,
            subjects: HashMap::new(),
            identities: HashMap::new(),
            removed: BTreeSet::new(),
            removed_pages: Vec::new(),
            removed_keys: Vec::new(),
            new_slots: Vec::new(),
            new_keys: Vec::new(),
            freed_slots: Vec::new(),
            next_slot,
            lifted_suppressions: Vec::new(),
            report: CommitReport::default(),
        }
    }
}

impl WriteBatch<'_> {
    /// How many changes are pending in this batch (subjects touched).
    pub fn pending_subjects(&self) -> usize {
        self.subjects.len()
    }

    fn lookup(&self, p: &Pseudonym) -> Result<Option<SubjectId>, StoreError> {
        let key = pseudonym_key(keyspace::IDENTITY, p);
        if let Some(pending) = self.identities.get(&key) {
            return Ok(*pending);
        }
        // The filter covers sled and every earlier commit, including one still in flight.
        if let Some(filter) = &self.state.identity_filter
            && !filter.may_contain(&key)
        {
            return Ok(None);
        }
        match self.store.get_through(self.overlay.as_deref(), &key)? {
            Some(v) => Ok(keyspace::subject_id_at(&v, 0)),
            None => Ok(None),
        }
    }

    /// Returns the erased-at time of the first suppressed pseudonym of the change, if any.
    fn suppression(&self, change: &Change) -> Result<Option<Suppressed>, StoreError> {
        if !self.state.has_suppressions {
            return Ok(None);
        }
        let mut found = None;
        let mut keys = Vec::new();
        for id in &change.identifiers {
            for p in &id.pseudonyms {
                let key = pseudonym_key(keyspace::SUPPRESSED, p);
                if self.lifted_suppressions.contains(&key) {
                    continue;
                }
                if let Some(v) = self.store.get_through(self.overlay.as_deref(), &key)? {
                    let s: crate::erase::Suppression = serde_json::from_slice(&v)
                        .map_err(|e| StoreError::Corrupt(format!("suppression entry: {e}")))?;
                    found.get_or_insert(s.erased_at);
                    keys.push(key);
                }
            }
        }
        Ok(found.map(|at| (at, keys)))
    }

    /// Applies one change to the batch. A refused change leaves the batch unchanged.
    pub fn apply(&mut self, change: Change) -> Result<ChangeOutcome, ApplyError> {
        if change.identifiers.is_empty() {
            return Err(ApplyError::NoIdentifier);
        }
        // 1. Checks, no mutation.
        if let Some((erased_at, keys)) = self.suppression(&change)? {
            let new_consent = change.consents.iter().any(|c| {
                c.event.state == ConsentState::Granted && c.event.at.as_str() > erased_at.as_str()
            });
            if self.options.reimport_with_new_consent && new_consent {
                self.lifted_suppressions.extend(keys);
            } else {
                self.report.suppressed += 1;
                return Ok(ChangeOutcome::Suppressed);
            }
        }
        let mut found: Vec<SubjectId> = Vec::new();
        for id in &change.identifiers {
            for p in &id.pseudonyms {
                if let Some(s) = self.lookup(p)? {
                    if !found.contains(&s) {
                        found.push(s);
                    }
                    break;
                }
            }
        }
        if found.is_empty() && !change.create_if_missing {
            return Err(ApplyError::NoSuchSubject);
        }
        for s in &found {
            self.load(*s)?;
        }
        let mut kinds_and_macs: BTreeSet<(u32, String)> = BTreeSet::new();
        for s in &found {
            for i in &self.subjects[s].body.identifiers {
                kinds_and_macs.insert((i.key_id, i.mac.clone()));
            }
        }
        for id in &change.identifiers {
            if let Some(p) = id.pseudonyms.first() {
                kinds_and_macs.insert((p.key_id(), hex::encode(p.mac())));
            }
        }
        if kinds_and_macs.len() > MAX_IDENTIFIERS_PER_SUBJECT {
            return Err(ApplyError::TooManyIdentifiers {
                count: kinds_and_macs.len(),
            });
        }

        // 2. Mutation.
        let (target, outcome) = match found.len() {
            0 => {
                let id = self.create(&change)?;
                self.report.created += 1;
                (id, ChangeOutcome::Created(id))
            }
            1 => {
                self.report.updated += 1;
                (found[0], ChangeOutcome::Updated(found[0]))
            }
            _ => {
                // The oldest subject survives, so long-lived references (run records, exports) stay valid.
                found.sort_by_key(|s| (self.subjects[s].header.created_day, *s));
                let into = found[0];
                for other in &found[1..] {
                    self.merge(into, *other)?;
                }
                self.report.updated += 1;
                self.report.merged += (found.len() - 1) as u64;
                (
                    into,
                    ChangeOutcome::Merged {
                        into,
                        merged: found.len() - 1,
                    },
                )
            }
        };
        self.update(target, change)?;
        Ok(outcome)
    }

    fn load(&mut self, id: SubjectId) -> Result<(), StoreError> {
        if self.subjects.contains_key(&id) {
            return Ok(());
        }
        let (header, body, key) = self
            .store
            .read_subject_with(self.overlay.as_deref(), &id)?
            .ok_or(StoreError::Corrupt(format!(
                "identity index points to missing subject {id}"
            )))?;
        self.subjects.insert(
            id,
            Pending {
                header,
                body,
                key,
                is_new: false,
                new_pages: Vec::new(),
            },
        );
        Ok(())
    }

    fn allocate_slot(&mut self) -> u64 {
        if let Some(slot) = self
            .state
            .free_slots
            .iter()
            .copied()
            .find(|s| !self.new_slots.contains(s))
        {
            self.new_slots.push(slot);
            return slot;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.new_slots.push(slot);
        slot
    }

    fn create(&mut self, change: &Change) -> Result<SubjectId, StoreError> {
        let id = SubjectId::random()?;
        let key = DataKey::generate()?;
        let slot = self.allocate_slot();
        let wrapped: WrappedKey = self
            .store
            .keys
            .masters()
            .wrap(&key, &wrap_context(&id, slot))?;
        // The slot is written at commit, before sled references it; a crash in between leaves it beyond the
        // persisted `vault_next` (or still in the free list), so it is reused, never leaked.
        self.new_keys.push((slot, id, wrapped));
        self.subjects.insert(
            id,
            Pending {
                header: SubjectHeader {
                    vault_slot: slot,
                    created_day: change.received_day,
                    last_seen_day: change.received_day,
                    flags: SubjectFlags::default(),
                    event_pages: 0,
                },
                body: SubjectBody::default(),
                key,
                is_new: true,
                new_pages: Vec::new(),
            },
        );
        Ok(id)
    }

    fn merge(&mut self, into: SubjectId, other: SubjectId) -> Result<(), StoreError> {
        let Some(mut from) = self.subjects.remove(&other) else {
            return Ok(());
        };
        // Events of the merged subject, including its sealed pages, move under the survivor's key.
        let mut events =
            self.store
                .read_pages_with(self.overlay.as_deref(), &other, &from.header, &from.key)?;
        for (_, page) in from.new_pages.drain(..) {
            events.extend(page);
        }
        events.append(&mut from.body.events);
        for page in 0..from.header.event_pages {
            self.removed_pages
                .push(keyspace::event_page_key(&other, page));
        }
        // Memberships of the merged-away subject were computed for a person who no longer exists as such; the
        // next segment run assigns the survivor. (Memberships are not written by batches, so sled is current.)
        if !from.is_new {
            self.removed_keys
                .extend(self.store.membership_keys(&other)?);
        }
        for ident in &from.body.identifiers {
            if let Some(p) = ident.pseudonym() {
                self.identities
                    .insert(pseudonym_key(keyspace::IDENTITY, &p), Some(into));
            }
        }
        let target = self
            .subjects
            .get_mut(&into)
            .ok_or_else(|| StoreError::Corrupt("merge target not loaded".into()))?;
        merge_body(&mut target.body, from.body, &other);
        target.body.events.extend(events);
        target.header.flags.restricted |= from.header.flags.restricted;
        target.header.flags.objected |= from.header.flags.objected;
        target.header.created_day = target.header.created_day.min(from.header.created_day);
        target.header.last_seen_day = target.header.last_seen_day.max(from.header.last_seen_day);
        let slot = from.header.vault_slot;
        if from.is_new {
            // Allocated in this batch and never committed: shred it now. A slot taken from the free list simply
            // stays free; a fresh one joins the free list.
            self.new_slots.retain(|s| *s != slot);
            self.new_keys.retain(|(s, _, _)| *s != slot);
            if !self.state.free_slots.contains(&slot) {
                self.freed_slots.push(slot);
            }
        } else {
            self.removed.insert(other);
            self.freed_slots.push(slot);
        }
        Ok(())
    }

    fn update(&mut self, id: SubjectId, change: Change) -> Result<(), StoreError> {
        let Change {
            source,
            received_at,
            received_day,
            identifiers,
            attributes,
            events,
            consents,
            ..
        } = change;
        let pending = self
            .subjects
            .get_mut(&id)
            .ok_or_else(|| StoreError::Corrupt("updated subject not loaded".into()))?;
        let body = &mut pending.body;
        let mut new_index = Vec::new();
        for ident in identifiers {
            let Some(newest) = ident.pseudonyms.first().copied() else {
                continue;
            };
            let mac = hex::encode(newest.mac());
            match body
                .identifiers
                .iter_mut()
                .find(|i| i.key_id == newest.key_id() && i.mac == mac)
            {
                Some(existing) => {
                    if existing.value.is_none() {
                        existing.value = ident.contact_value;
                    }
                }
                None => body.identifiers.push(StoredIdentifier {
                    kind: ident.kind,
                    key_id: newest.key_id(),
                    mac,
                    value: ident.contact_value,
                    source: source.clone(),
                    first_seen: received_at.clone(),
                }),
            }
            new_index.push(newest);
        }
        for (name, value) in attributes {
            body.attributes.insert(
                name,
                AttributeValue {
                    value,
                    source: source.clone(),
                    updated_at: received_at.clone(),
                },
            );
        }
        for e in events {
            // Re-ingesting a file after a crash must not double its events: an event with a source id is a
            // duplicate when that id was seen for its type and source; one without is a duplicate when every
            // field is identical (same type, second, source and properties).
            let duplicate = match &e.id {
                Some(_) => body
                    .events
                    .iter()
                    .any(|x| x.id == e.id && x.event_type == e.event_type && x.source == e.source),
                None => body.events.contains(&e),
            };
            if !duplicate {
                body.events.push(e);
            }
        }
        let mut no_longer_granted = Vec::new();
        for c in consents {
            let purpose = c.purpose.clone();
            body.consents.record(&c.purpose, c.event);
            if !body.consents.is_granted(&purpose) {
                no_longer_granted.push(purpose);
            }
        }
        body.sources.insert(source);
        pending.header.last_seen_day = pending.header.last_seen_day.max(received_day);
        spill_pages(pending);
        for p in new_index {
            self.identities
                .insert(pseudonym_key(keyspace::IDENTITY, &p), Some(id));
        }
        // A withdrawn or refused consent takes the subject out of that purpose's segments in the same commit
        // (Art. 7(3)): no later count or export can include it, whatever a later run would say.
        for purpose in no_longer_granted {
            let keys = self.store.membership_keys_for_purpose(&id, &purpose)?;
            self.removed_keys.extend(keys);
        }
        Ok(())
    }

    /// Seals every touched subject and commits the batch atomically with an audit entry built from `record`
    /// (its counts are completed with the batch's created/updated/merged/suppressed figures). Durable on return.
    pub fn commit(self, record: AuditRecord) -> Result<CommitReport, StoreError> {
        let store = self.store;
        let report = self.commit_async(record)?;
        drop(store.lock_settled()?);
        Ok(report)
    }

    /// Like [`WriteBatch::commit`], but the sled write and the fsyncs run on a background thread, so that the caller
    /// can fill the next batch meanwhile (which sees this commit's writes). The commit is durable once the next
    /// `commit_async` (or [`Store::flush`], or any other write) returns; a failure surfaces there.
    pub fn commit_async(self, record: AuditRecord) -> Result<CommitReport, StoreError> {
        self.commit_async_then(record, Box::new(|_| {}))
    }

    /// Like [`WriteBatch::commit_async`], and the background thread calls `on_settled` as soon as the commit is
    /// durable (`Ok`) or has failed (`Err`), without waiting for the next write. The HTTP API acknowledges a group
    /// of requests from there. If this call returns `Err`, nothing was handed to the background and `on_settled` is
    /// dropped uncalled.
    pub fn commit_async_then(
        mut self,
        mut record: AuditRecord,
        on_settled: OnSettled,
    ) -> Result<CommitReport, StoreError> {
        let mut batch = CountingBatch::default();
        for (id, pending) in &self.subjects {
            let plain = serde_json::to_vec(&pending.body)
                .map_err(|e| StoreError::Corrupt(format!("encoding subject: {e}")))?;
            let sealed = pending.key.seal(&body_aad(id), &plain)?;
            batch.insert(
                &keyspace::subject_key(id)[..],
                pending.header.encode(&sealed),
            );
            for (page, events) in &pending.new_pages {
                let plain = serde_json::to_vec(events)
                    .map_err(|e| StoreError::Corrupt(format!("encoding events: {e}")))?;
                let sealed = pending.key.seal(&page_aad(id, *page), &plain)?;
                batch.insert(&keyspace::event_page_key(id, *page)[..], sealed);
            }
        }
        for id in &self.removed {
            batch.remove(&keyspace::subject_key(id)[..]);
        }
        for k in &self.removed_pages {
            batch.remove(&k[..]);
        }
        for k in &self.removed_keys {
            batch.remove(k);
        }
        for (k, v) in &self.identities {
            match v {
                Some(id) => {
                    batch.insert(&k[..], &id.bytes()[..]);
                    if let Some(filter) = self.state.identity_filter.as_mut() {
                        filter.insert(k);
                    }
                }
                None => batch.remove(&k[..]),
            }
        }
        for k in &self.lifted_suppressions {
            batch.remove(&k[..]);
        }
        let mut free_slots = self.state.free_slots.clone();
        for slot in &self.new_slots {
            if free_slots.remove(slot) {
                batch.remove(&keyspace::free_slot_key(*slot)[..]);
            }
        }
        for slot in &self.freed_slots {
            free_slots.insert(*slot);
            batch.insert(&keyspace::free_slot_key(*slot)[..], &[][..]);
        }
        batch.insert(
            &keyspace::meta_key(meta::VAULT_NEXT),
            &self.next_slot.to_be_bytes()[..],
        );
        for (name, n) in [
            ("subjects_created", self.report.created),
            ("subjects_updated", self.report.updated),
            ("subjects_merged", self.report.merged),
            ("records_suppressed", self.report.suppressed),
        ] {
            record.counts.entry(name.to_string()).or_insert(n);
        }
        let mut frontier = self.state.frontier.clone();
        let keys_written = batch.keys;
        let bytes_written = batch.bytes;
        let seq = audit_log::append_to_batch(self.store, &mut batch, &mut frontier, &record)?;
        let ops = batch.ops;
        let overlay: Overlay = ops.iter().cloned().collect();

        // Sealing above overlapped the previous commit's background write. One commit in flight at a time, written
        // in order: wait for it now, before touching the vault (it may still be shredding slots this batch reuses).
        self.state.settle()?;
        // The new wrapped keys go into the vault now (page cache), so the next batch can open these subjects; the
        // background writer makes them durable before sled references them.
        self.store.vault.write_many(&mut self.new_keys)?;
        let vault = Arc::clone(&self.store.vault);
        let tree = self.store.tree.clone();
        let db = self.store.db.clone();
        let freed = std::mem::take(&mut self.freed_slots);
        let handle = std::thread::Builder::new()
            .name("cohort-commit".into())
            .spawn(move || -> Result<(), StoreError> {
                let outcome = (|| -> Result<(), StoreError> {
                    // Keys first: the vault must hold every new wrapped key durably before sled references it.
                    vault.sync()?;
                    let mut batch = sled::Batch::default();
                    for (k, v) in ops {
                        match v {
                            Some(v) => batch.insert(k, v),
                            None => batch.remove(k),
                        }
                    }
                    tree.apply_batch(batch)?;
                    db.flush()?;
                    for slot in &freed {
                        vault.shred(*slot)?;
                    }
                    if !freed.is_empty() {
                        vault.sync()?;
                    }
                    Ok(())
                })();
                on_settled(outcome.as_ref().map(|_| ()));
                outcome
            })
            .map_err(|e| StoreError::Io {
                path: self.store.dir.clone(),
                source: e,
            })?;
        self.state.inflight = Some(Inflight {
            overlay: Arc::new(overlay),
            handle: Some(handle),
        });
        self.state.vault_next = self.next_slot;
        self.state.free_slots = free_slots;
        self.state.frontier = frontier;
        self.report.audit_seq = seq;
        self.report.keys_written = keys_written;
        self.report.bytes_written = bytes_written;
        Ok(self.report.clone())
    }
}

/// Merges `from` (subject `from_id`) into `into`: identifiers and sources united, newer attribute values win,
/// consent histories united.
fn merge_body(into: &mut SubjectBody, from: SubjectBody, from_id: &SubjectId) {
    for ident in from.identifiers {
        if !into
            .identifiers
            .iter()
            .any(|i| i.key_id == ident.key_id && i.mac == ident.mac)
        {
            into.identifiers.push(ident);
        }
    }
    for (name, value) in from.attributes {
        match into.attributes.get(&name) {
            Some(existing) if existing.updated_at >= value.updated_at => {}
            _ => {
                into.attributes.insert(name, value);
            }
        }
    }
    into.consents.merge(from.consents);
    into.sources.extend(from.sources);
    into.merged_from.push(from_id.to_hex());
    into.merged_from.extend(from.merged_from);
}

/// Moves the oldest inline events into sealed pages while the body holds too many.
fn spill_pages(pending: &mut Pending) {
    if pending.body.events.len() <= INLINE_EVENTS_MAX {
        return;
    }
    pending.body.events.sort_by(|a, b| a.at.cmp(&b.at));
    while pending.body.events.len() > INLINE_EVENTS_MAX {
        let page: Vec<StoredEvent> = pending.body.events.drain(..EVENT_PAGE_SIZE).collect();
        let n = pending.header.event_pages;
        pending.header.event_pages += 1;
        pending.new_pages.push((n, page));
    }
}

impl Store {
    /// Rewrites a subject's events (inline and paged) keeping only those `keep` accepts, in one batch.
    pub(crate) fn rewrite_events(
        &self,
        id: &SubjectId,
        view: &crate::SubjectView,
        keep: impl Fn(&StoredEvent) -> bool,
    ) -> Result<(), StoreError> {
        let _state = self.lock_settled()?;
        let Some((mut header, mut body, key)) = self.read_subject(id)? else {
            return Ok(());
        };
        let mut batch = sled::Batch::default();
        for page in 0..header.event_pages {
            batch.remove(&keyspace::event_page_key(id, page)[..]);
        }
        body.events = view
            .body
            .events
            .iter()
            .filter(|e| keep(e))
            .cloned()
            .collect();
        header.event_pages = 0;
        let mut pending = Pending {
            header,
            body,
            key,
            is_new: false,
            new_pages: Vec::new(),
        };
        spill_pages(&mut pending);
        let plain = serde_json::to_vec(&pending.body)
            .map_err(|e| StoreError::Corrupt(format!("encoding subject: {e}")))?;
        let sealed = pending.key.seal(&body_aad(id), &plain)?;
        batch.insert(
            &keyspace::subject_key(id)[..],
            pending.header.encode(&sealed),
        );
        for (page, events) in &pending.new_pages {
            let plain = serde_json::to_vec(events)
                .map_err(|e| StoreError::Corrupt(format!("encoding events: {e}")))?;
            let sealed = pending.key.seal(&page_aad(id, *page), &plain)?;
            batch.insert(&keyspace::event_page_key(id, *page)[..], sealed);
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }
}
