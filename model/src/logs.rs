//! Safety predicates over replicated logs, shared by every variant: the same rule whether an
//! entry's creation round is called a term (Raft) or an epoch (KRaft).

/// Log Matching: two logs with an entry of the same index and term (`term_of`) are identical
/// up to that index. Checked at the last index where the terms agree, which implies the rest.
pub fn log_matching<'a, E: PartialEq + 'a>(logs: &[&'a [E]], term_of: impl Fn(&E) -> u8) -> bool {
    logs.iter().enumerate().all(|(i, a)| {
        logs[i + 1..].iter().all(|b| {
            let common = a.len().min(b.len());
            match (0..common)
                .rev()
                .find(|&k| term_of(&a[k]) == term_of(&b[k]))
            {
                Some(k) => a[..=k] == b[..=k],
                None => true,
            }
        })
    })
}

/// Two committed prefixes agree where both are defined.
pub fn prefixes_agree<E: PartialEq>(a: &[E], b: &[E]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Every committed entry (by index) is stored by at least `majority` of the logs.
pub fn stored_by_majority<'a, E: PartialEq + 'a>(
    committed: impl Iterator<Item = &'a E>,
    logs: &[&[E]],
    majority: usize,
) -> bool {
    committed
        .enumerate()
        .all(|(i, e)| logs.iter().filter(|l| l.get(i) == Some(e)).count() >= majority)
}
