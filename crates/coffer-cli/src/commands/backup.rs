//! `coffer backup …`: thin over `coffer-backup`. Parses, asks for passwords when
//! needed, draws progress, prints text or JSON.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use anyhow::{Result, bail};
use coffer_backup::backup::BackupRequest;
use coffer_backup::check::CheckRequest;
use coffer_backup::forget::KeepPolicy;
use coffer_backup::progress::Progress;
use coffer_backup::restore::{Overwrite, RestoreRequest};
use coffer_backup::{Access, Repo, RepoLocation};
use coffer_core::Sensitive;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::cli::{BackupCommand, BackupKeyCommand, KeepArgs, RepoArgs};
use crate::context::{Context, UsageError};
use crate::output;

/// Runs a `backup` verb.
pub async fn run(ctx: &Context, cmd: BackupCommand) -> Result<()> {
    match cmd {
        BackupCommand::Init(args) => init(ctx, &args.repo, args.append_only).await,
        BackupCommand::Run(args) => {
            let mut stdin = Stdin::new(args.repo.password_stdin);
            let repo = open(ctx, &args.repo, &mut stdin).await?;
            let request = BackupRequest {
                paths: args.paths,
                excludes: args.exclude,
                exclude_files: args.exclude_file,
                git_ignore: args.git_ignore,
                one_file_system: args.one_file_system,
                exclude_caches: args.exclude_caches,
                tags: args.tag,
                hostname: args.host,
            };
            backup(&repo, request, args.repo.json).await
        }
        BackupCommand::Snapshots(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let snaps = repo.snapshots().await?;
            if args.repo.json {
                return output::json(&snaps);
            }
            if snaps.is_empty() {
                println!("no snapshots in {}", repo.location());
            }
            for s in &snaps {
                let size = s
                    .summary
                    .as_ref()
                    .map(|m| output::size(m.total_bytes))
                    .unwrap_or_default();
                println!(
                    "{}  {}  {}  {}  {}{}",
                    s.short_id,
                    s.time
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    s.hostname,
                    s.paths.join(","),
                    size,
                    if s.tags.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", s.tags.join(","))
                    }
                );
            }
            Ok(())
        }
        BackupCommand::Ls(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let entries = repo.ls(&args.snapshot, &args.path, args.recursive).await?;
            if args.repo.json {
                return output::json(&entries);
            }
            for e in &entries {
                let suffix = match (e.kind, &e.link_target) {
                    ("dir", _) => "/".to_string(),
                    (_, Some(target)) => format!(" -> {target}"),
                    _ => String::new(),
                };
                println!(
                    "{:>10}  {}{suffix}",
                    if e.kind == "file" {
                        output::size(e.size)
                    } else {
                        String::new()
                    },
                    e.path
                );
            }
            Ok(())
        }
        BackupCommand::Restore(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let overwrite: Overwrite = args
                .overwrite
                .parse()
                .map_err(|e: coffer_backup::Error| UsageError(e.to_string()))?;
            let (snapshot, path) = match args.snapshot.split_once(':') {
                Some((s, p)) => (s.to_string(), p.to_string()),
                None => (args.snapshot.clone(), String::new()),
            };
            let (bar, sink) = progress_bar("restoring");
            let outcome = repo
                .restore(
                    RestoreRequest {
                        snapshot,
                        path,
                        target: args.target.clone(),
                        overwrite,
                    },
                    sink,
                )
                .await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let outcome = outcome?;
            if args.repo.json {
                return output::json(&outcome);
            }
            println!(
                "restored snapshot {} into {}: {} file(s) written ({}), {} already identical{}",
                &outcome.snapshot[..8],
                args.target.display(),
                outcome.files_restored,
                output::size(outcome.bytes_restored),
                outcome.files_unchanged,
                if outcome.resumed {
                    "; went on from an interrupted restore"
                } else {
                    ""
                }
            );
            Ok(())
        }
        BackupCommand::Timeline(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let versions = repo.timeline(&args.path).await?;
            if args.repo.json {
                return output::json(&versions);
            }
            for (i, v) in versions.iter().enumerate() {
                let fmt = &time::format_description::well_known::Rfc3339;
                println!(
                    "version {}: {} {}  modified {}  in {} snapshot(s) from {} to {}  (restore: {}:{})",
                    i + 1,
                    v.kind,
                    output::size(v.size),
                    v.mtime
                        .and_then(|m| m.format(fmt).ok())
                        .unwrap_or_else(|| "?".into()),
                    v.snapshots.len(),
                    v.first_seen.format(fmt).unwrap_or_default(),
                    v.last_seen.format(fmt).unwrap_or_default(),
                    &v.snapshots
                        .last()
                        .map(|s| s[..8].to_string())
                        .unwrap_or_default(),
                    args.path
                );
            }
            Ok(())
        }
        BackupCommand::Forget(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let outcome = repo.forget(keep_policy(&args.keep)?, args.dry_run).await?;
            let pruned = if args.prune && (outcome.removed > 0 || args.dry_run) {
                Some(repo.prune(args.dry_run).await?)
            } else {
                None
            };
            if args.repo.json {
                return output::json(&serde_json::json!({"forget": outcome, "prune": pruned}));
            }
            for d in &outcome.decisions {
                println!(
                    "{} {}  {}  {}  ({})",
                    if d.keep {
                        "keep  "
                    } else if args.dry_run {
                        "would remove"
                    } else {
                        "remove"
                    },
                    d.snapshot.short_id,
                    d.snapshot
                        .time
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    d.snapshot.paths.join(","),
                    d.reasons.join(", ")
                );
            }
            println!(
                "{} snapshot(s) {}",
                outcome.removed,
                if args.dry_run {
                    "would be removed (dry run)"
                } else {
                    "removed"
                }
            );
            if let Some(p) = pruned {
                print_prune(&p);
            }
            Ok(())
        }
        BackupCommand::Prune(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let outcome = repo.prune(args.dry_run).await?;
            if args.repo.json {
                return output::json(&outcome);
            }
            print_prune(&outcome);
            Ok(())
        }
        BackupCommand::Check(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let outcome = repo
                .check(CheckRequest {
                    read_data_subset: args.read_data_subset,
                })
                .await?;
            if args.repo.json {
                output::json(&outcome)?;
            } else {
                for f in &outcome.findings {
                    println!("{}: {}", f.level, f.message);
                }
                println!(
                    "{}: {}",
                    repo.location(),
                    if outcome.ok {
                        "no errors found"
                    } else {
                        "errors found"
                    }
                );
            }
            if !outcome.ok {
                bail!("the check of {} found errors", repo.location());
            }
            Ok(())
        }
        BackupCommand::Key(cmd) => key(ctx, cmd).await,
    }
}

fn print_prune(p: &coffer_backup::prune::PruneOutcome) {
    println!(
        "{}: {} pack(s) removed, {} repacked, {} freed; repository {}",
        if p.dry_run {
            "prune (dry run)"
        } else {
            "prune"
        },
        p.packs_removed,
        p.packs_repacked,
        output::size(p.bytes_freed),
        output::size(p.repo_size)
    );
}

fn keep_policy(k: &KeepArgs) -> Result<KeepPolicy> {
    let policy = KeepPolicy {
        last: k.keep_last,
        hourly: k.keep_hourly,
        daily: k.keep_daily,
        weekly: k.keep_weekly,
        monthly: k.keep_monthly,
        yearly: k.keep_yearly,
    };
    if !policy.is_set() {
        return Err(UsageError(
            "give at least one --keep-* rule (with none, every snapshot would go)".into(),
        )
        .into());
    }
    Ok(policy)
}

/// Lines of stdin, read once, for `--password-stdin` and new passwords.
struct Stdin {
    use_for_current: bool,
    lines: Option<std::vec::IntoIter<String>>,
}

impl Stdin {
    fn new(use_for_current: bool) -> Self {
        Stdin {
            use_for_current,
            lines: None,
        }
    }

    fn next_line(&mut self, what: &str) -> Result<Sensitive<String>> {
        let lines = self.lines.get_or_insert_with(|| {
            std::io::stdin()
                .lock()
                .lines()
                .map_while(std::result::Result::ok)
                .collect::<Vec<_>>()
                .into_iter()
        });
        match lines.next() {
            Some(line) if !line.is_empty() => Ok(Sensitive::new(line)),
            _ => Err(UsageError(format!("{what}: stdin has no (more) non-empty line")).into()),
        }
    }

    /// The current password, when given on stdin.
    fn current(&mut self) -> Result<Option<Sensitive<String>>> {
        if self.use_for_current {
            return self.next_line("--password-stdin").map(Some);
        }
        Ok(None)
    }

    /// A new password: the next line of stdin when it is not a terminal, or asked
    /// for twice.
    fn new_password(&mut self, what: &str) -> Result<Sensitive<String>> {
        if self.use_for_current || !std::io::stdin().is_terminal() {
            return self.next_line(what);
        }
        let first = rpassword::prompt_password(format!("{what}: "))?;
        let second = rpassword::prompt_password(format!("{what} again: "))?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        if first.is_empty() {
            return Err(UsageError("the password is empty".into()).into());
        }
        Ok(Sensitive::new(first))
    }
}

fn location(args: &RepoArgs) -> Result<RepoLocation> {
    RepoLocation::parse(&args.repo).map_err(|e| UsageError(e.to_string()).into())
}

fn access(ctx: &Context) -> Result<Access> {
    Ok(Access {
        store: ctx.store()?,
        profile: ctx.profile.name.clone(),
        secrets: ctx.session.secrets().clone(),
        db: ctx.session.db().clone(),
        data_dir: ctx.session.data_dir().root().to_path_buf(),
    })
}

async fn open(ctx: &Context, args: &RepoArgs, stdin: &mut Stdin) -> Result<Repo> {
    let location = location(args)?;
    let given = stdin.current()?;
    Ok(access(ctx)?.open(location, given).await?)
}

async fn init(ctx: &Context, args: &RepoArgs, append_only: bool) -> Result<()> {
    let location = location(args)?;
    let mut stdin = Stdin::new(args.password_stdin);
    let password = match stdin.current()? {
        Some(p) => p,
        None => stdin.new_password("password for the new repository")?,
    };
    let repo = access(ctx)?.init(location, &password, append_only).await?;
    if args.json {
        return output::json(&serde_json::json!({
            "repository": repo.location().to_string(),
            "id": repo.id(),
            "append_only": append_only,
        }));
    }
    println!(
        "created backup repository {} (id {}); its password is in the keychain{}",
        repo.location(),
        &repo.id()[..8],
        if append_only {
            "; this host is append-only for it"
        } else {
            ""
        }
    );
    eprintln!(
        "coffer: keep the password somewhere safe as well: without it the backups cannot be read"
    );
    Ok(())
}

async fn backup(repo: &Repo, request: BackupRequest, json: bool) -> Result<()> {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\ncoffer: interrupted; what was uploaded is kept, run the same command to resume"
            );
            on_signal.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let (bar, sink) = progress_bar("backing up");
    let result = repo.backup(request, sink, cancel).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let outcome = match result {
        Err(coffer_backup::Error::Cancelled) => {
            return Err(coffer_core::Error::Cancelled("the backup was interrupted".into()).into());
        }
        other => other?,
    };
    for e in &outcome.first_errors {
        eprintln!("coffer: warning: left out: {e}");
    }
    if json {
        return output::json(&outcome);
    }
    println!(
        "snapshot {} saved: {} new, {} changed, {} unchanged file(s); {} added ({} stored); repository {}{}",
        outcome.snapshot.short_id,
        outcome.files_new,
        outcome.files_changed,
        outcome.files_unmodified,
        output::size(outcome.bytes_added),
        output::size(outcome.bytes_added_packed),
        output::size(outcome.repo_size),
        if outcome.resumed_packs > 0 {
            format!(
                "; {} pack(s) of the interrupted run reused",
                outcome.resumed_packs
            )
        } else {
            String::new()
        }
    );
    if outcome.errors > 0 {
        eprintln!(
            "coffer: warning: {} file(s) or folder(s) could not be read and were left out",
            outcome.errors
        );
    }
    Ok(())
}

/// A progress bar on stderr when it is a terminal; a sink that feeds it.
fn progress_bar(
    what: &'static str,
) -> (
    Option<ProgressBar>,
    Arc<dyn coffer_backup::progress::ProgressSink>,
) {
    if !std::io::stderr().is_terminal() {
        return (None, Arc::new(|_: &Progress| {}));
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what);
    let sink_bar = bar.clone();
    let sink = Arc::new(move |p: &Progress| {
        sink_bar.set_length(p.bytes_total.unwrap_or(0).max(p.bytes_done));
        sink_bar.set_position(p.bytes_done);
        let files = match p.files_total {
            Some(total) => format!("{}/{} files", p.files_done, total),
            None => format!("{} files", p.files_done),
        };
        let eta = p
            .eta_secs
            .map(|s| {
                format!(
                    " ETA {}",
                    humantime::format_duration(std::time::Duration::from_secs(s))
                )
            })
            .unwrap_or_default();
        sink_bar.set_message(format!(
            "{what} ({}) {files} {}/s{eta}",
            p.phase,
            output::size(p.bytes_per_sec)
        ));
    });
    (Some(bar), sink)
}

async fn key(ctx: &Context, cmd: BackupKeyCommand) -> Result<()> {
    match cmd {
        BackupKeyCommand::List(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let keys = repo.keys().await?;
            if args.repo.json {
                return output::json(&keys);
            }
            for k in &keys {
                println!(
                    "{}{}  {}@{}  {}",
                    if k.current { "*" } else { " " },
                    &k.id[..8],
                    k.username.as_deref().unwrap_or("?"),
                    k.hostname.as_deref().unwrap_or("?"),
                    k.created
                        .and_then(|c| c
                            .format(&time::format_description::well_known::Rfc3339)
                            .ok())
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        BackupKeyCommand::Add(args) => {
            let mut stdin = Stdin::new(args.repo.password_stdin);
            let repo = open(ctx, &args.repo, &mut stdin).await?;
            let new = stdin.new_password("new password")?;
            let id = repo.add_key(&new).await?;
            if args.repo.json {
                return output::json(&serde_json::json!({"added": id}));
            }
            println!("added key {}", &id[..8]);
            Ok(())
        }
        BackupKeyCommand::Remove(args) => {
            let repo = open(ctx, &args.repo, &mut Stdin::new(args.repo.password_stdin)).await?;
            let id = repo.remove_key(&args.id).await?;
            if args.repo.json {
                return output::json(&serde_json::json!({"removed": id}));
            }
            println!("removed key {}", &id[..8]);
            Ok(())
        }
        BackupKeyCommand::Passwd(args) => {
            let mut stdin = Stdin::new(args.repo.password_stdin);
            let access = access(ctx)?;
            let location = location(&args.repo)?;
            let repo = access.open(location.clone(), stdin.current()?).await?;
            let new = stdin.new_password("new password")?;
            let id = repo.change_password(&new).await?;
            coffer_backup::password::store(&access.secrets, &access.profile, &location, &new)
                .await?;
            if args.repo.json {
                return output::json(&serde_json::json!({"key": id}));
            }
            println!(
                "password changed (new key {}); the keychain has the new one",
                &id[..8]
            );
            Ok(())
        }
    }
}
