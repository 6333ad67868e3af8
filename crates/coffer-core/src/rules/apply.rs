//! Matching keys against a bucket's rules and merging what they set.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};

use super::UploadRule;
use crate::store::PutOptions;

/// Compiles one glob. `*` and `?` stay within one folder level; `**` crosses them.
pub(crate) fn compile(glob: &str) -> std::result::Result<GlobMatcher, String> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("the glob is not valid: {}", e.kind()))
}

/// A bucket's rules, compiled, ready to match keys.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<(UploadRule, GlobMatcher, bool)>,
}

/// What the rules give one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The options to upload with.
    pub options: PutOptions,
    /// The ids of the rules that matched, in order.
    pub rule_ids: Vec<String>,
}

impl RuleSet {
    /// Compiles saved rules. A rule whose glob no longer compiles is skipped with a
    /// warning (rules are checked when saved, so this only happens to a database
    /// written by another version).
    pub fn new(rules: Vec<UploadRule>) -> RuleSet {
        let rules = rules
            .into_iter()
            .filter_map(|rule| match compile(&rule.glob) {
                Ok(matcher) => {
                    let whole_key = rule.glob.contains('/');
                    Some((rule, matcher, whole_key))
                }
                Err(e) => {
                    tracing::warn!(rule = %rule.id, glob = %rule.glob, error = %e, "skipping an upload rule");
                    None
                }
            })
            .collect();
        RuleSet { rules }
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules that match `key`, in order.
    pub fn matching<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a UploadRule> + 'a {
        let name = key.rsplit('/').next().unwrap_or(key);
        self.rules
            .iter()
            .filter(move |(_, matcher, whole_key)| {
                matcher.is_match(if *whole_key { key } else { name })
            })
            .map(|(rule, _, _)| rule)
    }

    /// The options for an upload of `key`: `explicit`'s values, then the matching
    /// rules' values for the fields `explicit` leaves unset (a later rule winning), and
    /// user metadata merged the same way. Content-Type is not guessed here.
    pub fn apply(&self, key: &str, explicit: &PutOptions) -> Applied {
        let mut options = explicit.clone();
        let mut from_rules = PutOptions::default();
        let mut metadata = BTreeMap::new();
        let mut rule_ids = Vec::new();
        for rule in self.matching(key) {
            rule_ids.push(rule.id.clone());
            for (value, set) in [
                (&rule.content_type, &mut from_rules.content_type),
                (&rule.cache_control, &mut from_rules.cache_control),
                (
                    &rule.content_disposition,
                    &mut from_rules.content_disposition,
                ),
                (&rule.storage_class, &mut from_rules.storage_class),
            ] {
                if value.is_some() {
                    set.clone_from(value);
                }
            }
            metadata.extend(rule.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for (set, value) in [
            (&mut options.content_type, from_rules.content_type),
            (&mut options.cache_control, from_rules.cache_control),
            (
                &mut options.content_disposition,
                from_rules.content_disposition,
            ),
            (&mut options.storage_class, from_rules.storage_class),
        ] {
            if set.is_none() {
                *set = value;
            }
        }
        metadata.extend(std::mem::take(&mut options.metadata));
        options.metadata = metadata;
        Applied { options, rule_ids }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, glob: &str, cache: Option<&str>, class: Option<&str>) -> UploadRule {
        UploadRule {
            id: id.into(),
            glob: glob.into(),
            cache_control: cache.map(str::to_string),
            storage_class: class.map(str::to_string),
            ..UploadRule::default()
        }
    }

    #[test]
    fn a_glob_without_a_slash_matches_the_name_in_any_folder() {
        let set = RuleSet::new(vec![rule("a", "*.css", Some("immutable"), None)]);
        for key in ["site.css", "assets/site.css", "a/b/c d ü+%.css"] {
            assert_eq!(
                set.apply(key, &PutOptions::default()).rule_ids,
                ["a"],
                "{key}"
            );
        }
        for key in ["site.css.map", "css", "assets.css/x.js"] {
            assert!(
                set.apply(key, &PutOptions::default()).rule_ids.is_empty(),
                "{key}"
            );
        }
    }

    #[test]
    fn a_glob_with_a_slash_matches_the_whole_key() {
        let set = RuleSet::new(vec![rule("a", "assets/**/*.{js,css}", Some("x"), None)]);
        let ids = |k: &str| set.apply(k, &PutOptions::default()).rule_ids;
        assert_eq!(ids("assets/app.js"), ["a"]);
        assert_eq!(ids("assets/v1/deep/app.css"), ["a"]);
        assert!(ids("other/assets/app.js").is_empty());
        assert!(ids("assets/app.json").is_empty());
        let one_level = RuleSet::new(vec![rule("b", "img/*.jpg", Some("x"), None)]);
        assert!(
            one_level
                .apply("img/sub/a.jpg", &PutOptions::default())
                .rule_ids
                .is_empty()
        );
    }

    #[test]
    fn later_rules_win_and_explicit_values_win_over_all() {
        let mut first = rule("1", "*", Some("no-cache"), Some("STANDARD_IA"));
        first.metadata.insert("team".into(), "web".into());
        first.metadata.insert("tier".into(), "1".into());
        let mut second = rule("2", "*.css", Some("immutable"), None);
        second.metadata.insert("tier".into(), "2".into());
        let set = RuleSet::new(vec![first, second]);
        let applied = set.apply("a.css", &PutOptions::default());
        assert_eq!(applied.rule_ids, ["1", "2"]);
        assert_eq!(applied.options.cache_control.as_deref(), Some("immutable"));
        assert_eq!(
            applied.options.storage_class.as_deref(),
            Some("STANDARD_IA")
        );
        assert_eq!(applied.options.metadata["tier"], "2");
        assert_eq!(applied.options.metadata["team"], "web");
        let mut explicit = PutOptions {
            cache_control: Some("max-age=5".into()),
            ..PutOptions::default()
        };
        explicit.metadata.insert("tier".into(), "mine".into());
        let applied = set.apply("a.css", &explicit);
        assert_eq!(applied.options.cache_control.as_deref(), Some("max-age=5"));
        assert_eq!(applied.options.metadata["tier"], "mine");
        assert!(applied.options.content_type.is_none());
    }
}
