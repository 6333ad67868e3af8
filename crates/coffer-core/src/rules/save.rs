//! Replacing a bucket's whole ordered list of rules (the editor saves this way).

use std::collections::HashSet;

use super::{MAX_RULES, TREE_RULES, UploadRule, db_key, new_id};
use crate::error::{Error, Result};
use crate::meta::{MetaDb, MetaDbExt};

/// Checks every rule, gives new ones an id, and stores the list in its order. A bad
/// rule fails the whole save with a message naming it; nothing is stored then. An
/// empty list removes the bucket's rules.
pub fn save(
    db: &dyn MetaDb,
    profile: &str,
    bucket: &str,
    rules: Vec<UploadRule>,
) -> Result<Vec<UploadRule>> {
    if rules.len() > MAX_RULES {
        return Err(Error::invalid(
            "upload rules",
            format!(
                "{} rules; a bucket may have at most {MAX_RULES}",
                rules.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    let mut checked = Vec::with_capacity(rules.len());
    for (i, rule) in rules.into_iter().enumerate() {
        let mut rule = rule.normalized(i + 1)?;
        if rule.id.is_empty() || !seen.insert(rule.id.clone()) {
            rule.id = new_id();
            seen.insert(rule.id.clone());
        }
        checked.push(rule);
    }
    let key = db_key(profile, bucket);
    if checked.is_empty() {
        db.delete(TREE_RULES, key.as_bytes())?;
    } else {
        db.put_json(TREE_RULES, &key, &checked)?;
    }
    db.flush()?;
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::MemoryDb;
    use crate::rules::list;

    fn css() -> UploadRule {
        UploadRule {
            glob: " *.css ".into(),
            cache_control: Some("public, max-age=31536000, immutable".into()),
            content_type: Some("  ".into()),
            ..UploadRule::default()
        }
    }

    #[test]
    fn saving_checks_tidies_and_keeps_the_order() {
        let db = MemoryDb::default();
        let mut meta = css();
        meta.glob = "docs/**".into();
        meta.cache_control = None;
        meta.metadata.insert("Owner".into(), "ünïcode ok".into());
        let saved = save(&db, "p", "b", vec![css(), meta]).expect("save");
        assert_eq!(saved[0].glob, "*.css");
        assert_eq!(saved[0].content_type, None);
        assert_eq!(saved[1].metadata["owner"], "ünïcode ok");
        assert_ne!(saved[0].id, saved[1].id);
        assert_eq!(list(&db, "p", "b").expect("list"), saved);
        assert!(list(&db, "p", "other").expect("list").is_empty());
        assert!(list(&db, "other", "b").expect("list").is_empty());
        save(&db, "p", "b", vec![]).expect("clear");
        assert!(list(&db, "p", "b").expect("list").is_empty());
    }

    #[test]
    fn a_bad_rule_fails_the_save_naming_it_and_nothing_is_stored() {
        let db = MemoryDb::default();
        save(&db, "p", "b", vec![css()]).expect("save");
        type Spoil = fn(&mut UploadRule);
        let cases: [(&str, Spoil); 6] = [
            ("glob is empty", |r| r.glob = " ".into()),
            ("not valid", |r| r.glob = "a[".into()),
            ("sets nothing", |r| r.cache_control = None),
            ("control characters", |r| {
                r.cache_control = Some("a\r\nx-amz-acl: public-read".into())
            }),
            ("metadata name", |r| {
                r.metadata.insert("bad name".into(), "v".into());
            }),
            ("storage class", |r| {
                r.storage_class = Some("cold; rm".into())
            }),
        ];
        for (words, spoil) in cases {
            let mut bad = css();
            spoil(&mut bad);
            let err = save(&db, "p", "b", vec![css(), bad]).expect_err(words);
            let message = err.to_string();
            assert!(message.contains("upload rule 2"), "{message}");
            assert!(message.contains(words), "{message}");
            assert_eq!(list(&db, "p", "b").expect("list").len(), 1);
        }
    }
}
