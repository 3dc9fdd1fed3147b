//! Revision history rules of Helm 4.3.1's `pkg/storage/storage.go`: which revision is the last,
//! which deployed revision counts, and which revisions pruning deletes. Pure.

use super::model::Release;
use super::status::ReleaseStatus;

/// The revision with the highest number (Helm: `Storage.Last`).
pub fn last(history: &[Release]) -> Option<&Release> {
    history.iter().max_by_key(|r| r.revision)
}

/// The deployed revision with the highest number (Helm: `Storage.Deployed`; after concurrent
/// writes several revisions may be `deployed`, and Helm takes the latest).
pub fn latest_deployed(history: &[Release]) -> Option<&Release> {
    history
        .iter()
        .filter(|r| r.info.status == ReleaseStatus::Deployed)
        .max_by_key(|r| r.revision)
}

/// The revisions to delete so that at most `keep` remain (Helm: `removeLeastRecent`).
///
/// Oldest first, revisions are chosen until `keep` would remain, skipping `latest_deployed`,
/// which is never deleted (so when it is among the oldest, a newer revision goes instead, and
/// with `keep` 0 it survives alone). Returns the revisions in ascending order; empty when
/// `revisions` holds at most `keep`.
///
/// Helm's `Storage.Create` calls this with `keep = max_history - 1` before writing a new
/// revision, when `max_history` is positive.
pub fn revisions_to_prune(
    revisions: &[u32],
    latest_deployed: Option<u32>,
    keep: usize,
) -> Vec<u32> {
    let mut sorted = revisions.to_vec();
    sorted.sort_unstable();
    let mut prune = Vec::new();
    if sorted.len() <= keep {
        return prune;
    }
    for revision in sorted.iter().copied() {
        if sorted.len() - prune.len() == keep {
            break;
        }
        if Some(revision) != latest_deployed {
            prune.push(revision);
        }
    }
    prune
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::model::Info;

    fn release(revision: u32, status: ReleaseStatus) -> Release {
        Release {
            name: "r".into(),
            revision,
            info: Info {
                status,
                ..Info::default()
            },
            ..Release::default()
        }
    }

    /// Helm's `Storage.Create` with `max_history`: prune to `max_history - 1`, then add.
    fn create(
        history: &mut Vec<(u32, ReleaseStatus)>,
        max_history: usize,
        new: (u32, ReleaseStatus),
    ) {
        if max_history > 0 {
            let revisions: Vec<u32> = history.iter().map(|(r, _)| *r).collect();
            let deployed = history
                .iter()
                .filter(|(_, s)| *s == ReleaseStatus::Deployed)
                .map(|(r, _)| *r)
                .max();
            let prune = revisions_to_prune(&revisions, deployed, max_history - 1);
            history.retain(|(r, _)| !prune.contains(r));
        }
        history.push(new);
    }

    fn revisions(history: &[(u32, ReleaseStatus)]) -> Vec<u32> {
        let mut out: Vec<u32> = history.iter().map(|(r, _)| *r).collect();
        out.sort_unstable();
        out
    }

    // The three pruning cases of Helm 4.3.1's pkg/storage/storage_test.go, replayed.
    #[test]
    fn helm_remove_least_recent() {
        use ReleaseStatus::*;
        let mut history = Vec::new();
        for (revision, status) in [
            (1, Superseded),
            (2, Superseded),
            (3, Superseded),
            (4, Deployed),
        ] {
            create(&mut history, 10, (revision, status));
        }
        assert_eq!(revisions(&history), [1, 2, 3, 4]);
        create(&mut history, 3, (5, Deployed));
        assert_eq!(revisions(&history), [3, 4, 5]);
    }

    #[test]
    fn helm_do_not_delete_deployed() {
        use ReleaseStatus::*;
        let mut history = Vec::new();
        for (revision, status) in [
            (1, Superseded),
            (2, Deployed),
            (3, Failed),
            (4, Failed),
            (5, Failed),
        ] {
            create(&mut history, 3, (revision, status));
        }
        assert_eq!(revisions(&history), [2, 4, 5]);
    }

    #[test]
    fn helm_initially_failed_release_with_history_limit() {
        let mut history = Vec::new();
        for revision in 1..=5 {
            create(&mut history, 4, (revision, ReleaseStatus::Failed));
        }
        assert_eq!(revisions(&history), [2, 3, 4, 5]);
    }

    #[test]
    fn keep_zero_leaves_only_the_latest_deployed() {
        assert_eq!(revisions_to_prune(&[1, 2, 3], Some(1), 0), vec![2, 3]);
        assert_eq!(revisions_to_prune(&[3, 1, 2], None, 0), vec![1, 2, 3]);
        assert_eq!(revisions_to_prune(&[1, 2], Some(2), 2), Vec::<u32>::new());
    }

    #[test]
    fn last_and_latest_deployed() {
        let history = [
            release(1, ReleaseStatus::Deployed),
            release(3, ReleaseStatus::Failed),
            release(2, ReleaseStatus::Deployed),
        ];
        assert_eq!(last(&history).map(|r| r.revision), Some(3));
        assert_eq!(latest_deployed(&history).map(|r| r.revision), Some(2));
        assert!(latest_deployed(&history[1..2]).is_none());
    }
}
