//! Group commit of intake on SQLite, in a server (`Usage::Server`): new reports (form,
//! API) and mail taken in that arrive together share one write transaction, and each
//! caller's answer waits for that transaction's commit. A receipt is still given only
//! once its report is on disk (`synchronous=FULL`): what a commit makes durable it
//! makes durable for every report in it, so nothing acknowledged can be lost, and one
//! disk flush serves many.
//!
//! Why: SQLite has one writer. Writers that each open their own transaction queue on
//! the write lock (through SQLite's busy handler, which sleeps) and pay a flush each;
//! one committer that takes what has queued meanwhile pays one flush for all of it.
//! PostgreSQL runs concurrent transactions itself and groups their flushes in its own
//! log writer, so it keeps a transaction per intake (docs/durability.md).
//!
//! There is no long-lived task: the first intake that finds no committer running
//! starts one (a `tokio` task, so that a caller that goes away — a client that hangs
//! up — cannot cut a transaction others wait on short); it takes everything queued,
//! up to [`MAX_BATCH`], commits, answers, and goes on until the queue is empty. Each
//! job runs under its own savepoint: one that fails (or a mail taken before) is rolled
//! back alone and answered with its own result, the others still commit. A failure of
//! the transaction itself (begin, commit, a savepoint) fails every job of the batch
//! with the same error, and nothing of any of them is kept.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use embargo_domain::lifecycle::Change;
use embargo_domain::report::Report;
use embargo_domain::token::TokenDigest;
use tokio::sync::oneshot;

use super::Tx;
use crate::mailbox::{IncomingMail, MailEffect, MailHeaders, NewAttachment, Taken};
use crate::{Release, Result, SqlStore, StoreError};

/// The most jobs one transaction takes: enough to share a flush among a burst, few
/// enough that the write lock is never held long (a batch of this many 4 KB reports
/// commits in well under 100 ms).
pub(crate) const MAX_BATCH: usize = 256;

/// How many transactions the committer has made and how many jobs they held; their
/// ratio is the average batch (`/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntakeCommits {
    pub commits: u64,
    pub jobs: u64,
}

/// What intake writes.
pub(crate) enum Work {
    /// A new report from the form or the API, and its status-link digest.
    Report {
        change: Box<Change>,
        status_token: TokenDigest,
    },
    /// A message taken in by mail and what it changes.
    Mail(Box<OwnedMail>),
}

/// What a job's write gave.
pub(crate) enum Done {
    Report(Box<Report>),
    Mail(Taken),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Done>>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// Whether a committer task is running; it clears this, under the same lock,
    /// only when it finds the queue empty, so a job is never left without one.
    running: bool,
}

/// The queue and its figures, shared by the clones of one store.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
    commits: AtomicU64,
    jobs: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("commits", &self.commits.load(Ordering::Relaxed))
            .field("jobs", &self.jobs.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    pub(crate) fn figures(&self) -> IntakeCommits {
        IntakeCommits {
            commits: self.commits.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
        }
    }

    /// Queues `job`; true when no committer runs and the caller must start one.
    fn push(&self, job: Job) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.jobs.push(job);
        !std::mem::replace(&mut queue.running, true)
    }

    /// The next batch, oldest first; empty (and the committer marked stopped) when
    /// nothing is queued.
    fn take(&self) -> Vec<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.jobs.is_empty() {
            queue.running = false;
            return Vec::new();
        }
        let n = queue.jobs.len().min(MAX_BATCH);
        queue.jobs.drain(..n).collect()
    }
}

/// Marks the committer stopped if its task ends other than by finding the queue empty
/// (a panic, or the runtime shutting down): the jobs it held are answered with an
/// error by their dropped reply channels, and the next intake starts a new committer.
struct StopGuard {
    group: Arc<GroupCommit>,
    armed: bool,
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut queue = self.group.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.running = false;
        // Jobs still queued have no committer now: fail them rather than leave them
        // waiting for one that will not come (dropping their reply says so).
        queue.jobs.clear();
    }
}

/// A message taken in, owned: a job outlives its caller's borrow.
pub(crate) struct OwnedMail {
    message_id: String,
    raw: Vec<u8>,
    disposition: String,
    received_at: jiff::Timestamp,
    attachments: Vec<NewAttachment>,
    headers: Option<MailHeaders>,
    released_from: Option<Release>,
    effect: OwnedEffect,
}

enum OwnedEffect {
    NewReport {
        change: Box<Change>,
        status_token: TokenDigest,
    },
    Apply(Box<Change>),
    Nothing,
}

impl OwnedMail {
    pub(crate) fn new(mail: &IncomingMail<'_>, effect: MailEffect<'_>) -> OwnedMail {
        OwnedMail {
            message_id: mail.message_id.to_string(),
            raw: mail.raw.to_vec(),
            disposition: mail.disposition.to_string(),
            received_at: mail.received_at,
            attachments: mail.attachments.to_vec(),
            headers: mail.headers.cloned(),
            released_from: mail.released_from,
            effect: match effect {
                MailEffect::NewReport {
                    change,
                    status_token,
                } => OwnedEffect::NewReport {
                    change: Box::new(change.clone()),
                    status_token: status_token.clone(),
                },
                MailEffect::Apply(change) => OwnedEffect::Apply(Box::new(change.clone())),
                MailEffect::Nothing => OwnedEffect::Nothing,
            },
        }
    }

    fn mail(&self) -> IncomingMail<'_> {
        IncomingMail {
            message_id: &self.message_id,
            raw: &self.raw,
            disposition: &self.disposition,
            received_at: self.received_at,
            attachments: &self.attachments,
            headers: self.headers.as_ref(),
            released_from: self.released_from,
        }
    }

    fn effect(&self) -> MailEffect<'_> {
        match &self.effect {
            OwnedEffect::NewReport {
                change,
                status_token,
            } => MailEffect::NewReport {
                change,
                status_token,
            },
            OwnedEffect::Apply(change) => MailEffect::Apply(change),
            OwnedEffect::Nothing => MailEffect::Nothing,
        }
    }
}

/// How a job inside the batch ended.
enum Outcome {
    /// Written; kept if the batch commits.
    Kept(Done),
    /// Rolled back to its savepoint; the caller gets this (its own error, or a mail
    /// taken before). The batch goes on.
    Undone(Result<Done>),
}

impl SqlStore {
    /// Writes `work` in the next group commit and answers once it is committed.
    pub(crate) async fn group_write(&self, group: &Arc<GroupCommit>, work: Work) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        if group.push(Job { work, reply }) {
            let store = self.clone();
            let group = group.clone();
            tokio::spawn(async move { store.run_committer(group).await });
        }
        // No answer: the committer's task ended without one (the runtime is shutting
        // down). Nothing is acknowledged; at worst the write was kept and a retry
        // makes a second copy, never a loss. Busy, so worth a retry.
        answer
            .await
            .unwrap_or(Err(StoreError::Database(sqlx::Error::PoolClosed)))
    }

    async fn run_committer(&self, group: Arc<GroupCommit>) {
        let mut guard = StopGuard {
            group: group.clone(),
            armed: true,
        };
        loop {
            let batch = group.take();
            if batch.is_empty() {
                // `take` marked the committer stopped under the queue's lock.
                guard.armed = false;
                return;
            }
            group.commits.fetch_add(1, Ordering::Relaxed);
            group.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
            self.commit_batch(batch).await;
        }
    }

    /// One transaction for `batch`; every job is answered.
    async fn commit_batch(&self, batch: Vec<Job>) {
        let mut tx = match self.begin_write().await {
            Ok(tx) => tx,
            Err(e) => return fail_all(batch.into_iter().map(|j| j.reply), e),
        };
        let mut kept = Vec::with_capacity(batch.len());
        let mut jobs = batch.into_iter();
        while let Some(job) = jobs.next() {
            match self.run_job(&mut tx, &job.work).await {
                Ok(Outcome::Kept(done)) => kept.push((job.reply, done)),
                Ok(Outcome::Undone(answer)) => {
                    let _ = job.reply.send(answer);
                }
                Err(e) => {
                    // The transaction itself failed: nothing of the batch is kept.
                    let replies = kept.into_iter().map(|(r, _)| r);
                    let rest = std::iter::once(job.reply).chain(jobs.map(|j| j.reply));
                    return fail_all(replies.chain(rest), e);
                }
            }
        }
        match tx.commit().await {
            Ok(()) => {
                for (reply, done) in kept {
                    let _ = reply.send(Ok(done));
                }
            }
            Err(e) => fail_all(kept.into_iter().map(|(r, _)| r), e.into()),
        }
    }

    /// Runs one job under a savepoint. `Err` is a failure of the transaction itself
    /// (the savepoint could not be taken, released or rolled back to).
    async fn run_job(&self, tx: &mut Tx, work: &Work) -> Result<Outcome> {
        sqlx::query("SAVEPOINT intake").execute(&mut **tx).await?;
        let written = match work {
            Work::Report {
                change,
                status_token,
            } => self
                .create_report_in(tx, change, status_token)
                .await
                .map(|r| Done::Report(Box::new(r))),
            Work::Mail(mail) => self
                .take_mail_in(tx, &mail.mail(), mail.effect())
                .await
                .map(Done::Mail),
        };
        let outcome = match written {
            Ok(Done::Mail(Taken::Duplicate)) => Outcome::Undone(Ok(Done::Mail(Taken::Duplicate))),
            Ok(done) => Outcome::Kept(done),
            Err(e) => Outcome::Undone(Err(e)),
        };
        if matches!(outcome, Outcome::Undone(_)) {
            sqlx::query("ROLLBACK TO SAVEPOINT intake")
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("RELEASE SAVEPOINT intake")
            .execute(&mut **tx)
            .await?;
        Ok(outcome)
    }
}

/// Answers every reply with `e` (shared: the same failure for all).
fn fail_all(replies: impl Iterator<Item = oneshot::Sender<Result<Done>>>, e: StoreError) {
    let e = Arc::new(e);
    for reply in replies {
        let _ = reply.send(Err(StoreError::Shared(e.clone())));
    }
}
