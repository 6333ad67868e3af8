//! The command line, as clap parses it. This is the contract scripts and tests use.

use clap::{Args, Parser, Subcommand};

/// Coffer: S3 profiles, browsing and transfers.
#[derive(Debug, Parser)]
#[command(name = "coffer", version, about, propagate_version = true)]
pub struct Cli {
    /// The profile to use (default: $COFFER_PROFILE, then `local`).
    #[arg(long, global = true, env = "COFFER_PROFILE", default_value = "local")]
    pub profile: String,

    /// Run the command on this remote agent (`coffer remote add`) instead of here:
    /// its profiles, its buckets, its jobs. Local files (`cp` sources and
    /// destinations) stay on this machine; their bytes go through the agent.
    #[arg(long, global = true)]
    pub remote: Option<String>,

    /// Log more (repeat for more detail); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage connection profiles (secrets go to the OS keychain).
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// List buckets, or the objects under s3://bucket/prefix.
    Ls(LsArgs),
    /// Make a bucket.
    Mb(BucketArgs),
    /// Remove an empty bucket.
    Rb(BucketArgs),
    /// Copy local ↔ S3 or S3 → S3.
    Cp(CpArgs),
    /// Move (copy, then delete the source); S3 → S3 renames on the server.
    Mv(MvArgs),
    /// Delete an object, or everything under a prefix with --recursive.
    Rm(RmArgs),
    /// Show an object's metadata (HEAD).
    Stat(StatArgs),
    /// Every version and delete marker of an object, newest first (buckets with
    /// versioning).
    Versions(VersionsArgs),
    /// Make an older version of an object the current one again (a server-side copy
    /// of that version over the key; the versions in between stay).
    RestoreVersion(RestoreVersionArgs),
    /// Search a bucket: from its local index when it has one (instant, and says how
    /// old), else by listing it; --fresh always lists.
    Find(FindArgs),
    /// The local index of buckets: status, refresh (or build) one, forget one.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Print a presigned URL (recorded: `coffer shares list`).
    Presign(PresignArgs),
    /// The share links made so far (presigned URLs): list, print one again, forget.
    #[command(subcommand)]
    Shares(SharesCommand),
    /// Upload header rules: per bucket, a glob on the key → Content-Type,
    /// Cache-Control, Content-Disposition, storage class, metadata.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Show a bucket's region and how it was found.
    Region(RegionArgs),
    /// Resumable uploads: list them, or abort orphaned ones.
    #[command(subcommand)]
    Transfers(TransfersCommand),
    /// Run the core API over HTTP, headless (stops gracefully on SIGTERM or Ctrl-C).
    Serve(ServeArgs),
    /// Own the data dir headless: run the jobs and their schedules without a window;
    /// other coffer commands attach to it. No TCP listener unless --listen.
    Agent(AgentArgs),
    /// Jobs of every kind (uploads, downloads; backups and more later): add, list,
    /// run, pause, resume, cancel, history, remove.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Backups in restic's repository format: init, run, snapshots, ls, restore,
    /// timeline, forget, prune, check, keys.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// SQLite replication to S3 with point-in-time restore: run in the foreground,
    /// restore.
    #[command(subcommand)]
    Replicate(ReplicateCommand),
    /// One-way mirrors: folder → bucket, bucket → folder, bucket → bucket.
    #[command(subcommand)]
    Mirror(MirrorCommand),
    /// coffer.yml: the databases to replicate and the mirrors.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Remote agents (`coffer agent --listen --tls` or `coffer serve --tls` on another
    /// machine), reached with `--remote NAME`.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Print shell completions to stdout: `coffer completions bash >
    /// /usr/share/bash-completion/completions/coffer`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man,
}

/// `coffer completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Who may reach a TCP listener, and over what.
#[derive(Debug, Args, Clone, Default)]
pub struct AccessArgs {
    /// Allow a listen address that is reachable from the network.
    #[arg(long)]
    pub allow_remote: bool,
    /// The listener sits behind a proxy that terminates TLS (with --allow-remote,
    /// this or --tls is required).
    #[arg(long)]
    pub behind_tls_proxy: bool,
    /// TLS for the listener.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// TLS for a TCP listener.
#[derive(Debug, Args, Clone, Default)]
pub struct TlsArgs {
    /// Speak TLS with a self-signed certificate made at first start and kept in the
    /// data dir (`--print-token` shows its fingerprint).
    #[arg(long)]
    pub tls: bool,
    /// Speak TLS with this certificate chain (PEM)…
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// …and this private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

/// `coffer remote …`
#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Add a remote agent: its URL (`https://host:8421`), its API token (from stdin
    /// with --token-stdin), and its certificate's fingerprint (shown and pinned on
    /// first use when not given).
    Add(RemoteAddArgs),
    /// List the remote agents.
    List(JsonFlag),
    /// Remove a remote agent (and its token from the keychain).
    Remove(RemoteNameArgs),
}

/// `coffer remote add`
#[derive(Debug, Args)]
pub struct RemoteAddArgs {
    /// A name for it.
    pub name: String,
    /// `https://host:port` (or `http://127.0.0.1:port` on this machine).
    pub url: String,
    /// Read the agent's API token from stdin (`coffer serve --print-token` there).
    #[arg(long)]
    pub token_stdin: bool,
    /// The SHA-256 fingerprint of its certificate (`--print-token` there shows it).
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// A remote agent's name.
#[derive(Debug, Args)]
pub struct RemoteNameArgs {
    /// Its name.
    pub name: String,
}

/// `coffer agent`
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Also serve the API over HTTP on this address (as `coffer serve` does).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Who may reach the listener, and over what.
    #[command(flatten)]
    pub access: AccessArgs,
    /// Write a systemd user unit (and an XDG autostart entry where systemd is not
    /// there) that starts the agent at login, enable it, say what was done, and exit.
    #[arg(long)]
    pub install_service: bool,
}

/// `coffer jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Add a job: `coffer jobs add upload NAME --from DIR --to s3://bucket/prefix/
    /// --every 1d`, or `coffer jobs add backup NAME --repo s3://REPO --source DIR
    /// --schedule '0 3 * * *' --keep-daily 7`. Without a schedule it runs at once (and
    /// the command waits).
    Add(Box<JobsAddArgs>),
    /// List every job with its state, last and next run.
    List(JsonFlag),
    /// Show one job.
    Show(JobIdArgs),
    /// Run a job now and wait for the run to end.
    Run(JobIdArgs),
    /// Pause a queued or running job (it keeps what it did).
    Pause(JobIdArgs),
    /// Resume a paused job and wait for it.
    Resume(JobIdArgs),
    /// Cancel a job.
    Cancel(JobIdArgs),
    /// Run a failed or cancelled job again and wait for it.
    Retry(JobIdArgs),
    /// Turn a job's schedule on.
    Enable(JobIdArgs),
    /// Turn a job's schedule off.
    Disable(JobIdArgs),
    /// A job's runs: start, duration, result, bytes, error.
    History(JobIdArgs),
    /// Remove a job and its history.
    Rm(JobIdArgs),
}

/// A job id (or a unique start of it), and `--json`.
#[derive(Debug, Args)]
pub struct JobIdArgs {
    /// The job's id, or enough of its start to be unique.
    pub id: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer jobs add`
#[derive(Debug, Args)]
pub struct JobsAddArgs {
    /// The kind (`upload`, `download`, `backup`).
    pub kind: String,
    /// A name for people.
    pub name: String,
    /// upload: the local file or folder; download: the s3:// object or prefix.
    #[arg(long)]
    pub from: Option<String>,
    /// upload: the s3:// key or prefix; download: the local folder.
    #[arg(long)]
    pub to: Option<String>,
    /// A param of the kind, KEY=VALUE (a JSON value, or else a string); repeatable.
    #[arg(long = "param")]
    pub param: Vec<String>,
    /// The kind's params as a JSON object.
    #[arg(long)]
    pub params: Option<String>,
    /// backup: the repository, s3://BUCKET[/PREFIX] (its password is in the keychain,
    /// from `coffer backup init`).
    #[arg(long)]
    pub repo: Option<String>,
    /// backup: a folder to back up; repeatable.
    #[arg(long)]
    pub source: Vec<std::path::PathBuf>,
    /// backup: leave out paths matching this glob; repeatable.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// backup: do not cross into other file systems.
    #[arg(long)]
    pub one_file_system: bool,
    /// backup: leave out folders holding a CACHEDIR.TAG.
    #[arg(long)]
    pub exclude_caches: bool,
    /// backup: tag each snapshot; repeatable.
    #[arg(long)]
    pub tag: Vec<String>,
    /// backup: keep-* rules applied after each run (forget).
    #[command(flatten)]
    pub keep: KeepArgs,
    /// backup: prune after forgetting.
    #[arg(long)]
    pub prune: bool,
    /// A cron expression: `0 3 * * *` is 03:00 every day.
    #[arg(long)]
    pub schedule: Option<String>,
    /// The cron expression's time zone (IANA, e.g. Europe/Paris; default UTC).
    #[arg(long, requires = "schedule")]
    pub tz: Option<String>,
    /// Run every interval instead: `30m`, `6h`, `1d`.
    #[arg(long)]
    pub every: Option<String>,
    /// POST the end of each run, as JSON, to this URL.
    #[arg(long)]
    pub webhook: Option<String>,
    /// Notify on the desktop when a run succeeds too (failures always notify).
    #[arg(long)]
    pub notify_success: bool,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (default: api.listen in coffer.toml, else
    /// 127.0.0.1:8421).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Who may reach the listener, and over what.
    #[command(flatten)]
    pub access: AccessArgs,
    /// Print the API token (creating it in the keychain if needed), and the TLS
    /// certificate's fingerprint when TLS is on, and exit.
    #[arg(long)]
    pub print_token: bool,
    /// Replace the API token with a new one, print it and exit.
    #[arg(long)]
    pub rotate_token: bool,
    /// Print the web UI's address with the token in it (`http://…/#token=…`; the
    /// part after `#` never leaves the browser), for opening in a browser.
    #[arg(long)]
    pub print_url: bool,
    /// On the first start, put sample objects (images, text, CSV, a nested folder)
    /// into a `samples` bucket of the `local` profile, as the desktop app does.
    #[arg(long)]
    pub samples: bool,
}

/// `coffer profile ...`
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile.
    Add(ProfileAddArgs),
    /// List the profiles.
    List(JsonFlag),
    /// Show one profile (never its secret).
    Show(NamedArgs),
    /// Remove a profile and its secrets.
    Remove(NamedArgs),
    /// Check that a profile can reach its endpoint and sign in.
    Test(NamedArgs),
}

/// `--json`.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// A profile name, and `--json`.
#[derive(Debug, Args)]
pub struct NamedArgs {
    /// The profile name.
    pub name: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer profile add`.
#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// The profile name.
    pub name: String,
    /// Endpoint URL (leave out for AWS S3).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Default region, used when a bucket's region cannot be detected.
    #[arg(long)]
    pub region: Option<String>,
    /// Path-style addressing (default: on for IP and localhost endpoints).
    #[arg(long)]
    pub path_style: bool,
    /// Virtual-host addressing, even for an IP or localhost endpoint.
    #[arg(long, conflicts_with = "path_style")]
    pub virtual_host: bool,
    /// Access key id (the secret is read from stdin or AWS_SECRET_ACCESS_KEY).
    #[arg(long)]
    pub access_key_id: Option<String>,
    /// Read the secret access key from stdin (first line).
    #[arg(long)]
    pub secret_stdin: bool,
    /// Take settings and keys from this profile of ~/.aws/config and ~/.aws/credentials.
    #[arg(long, value_name = "P")]
    pub from_aws_profile: Option<String>,
    /// Unsigned requests (public buckets).
    #[arg(long, conflicts_with_all = ["access_key_id", "secret_stdin"])]
    pub anonymous: bool,
    /// Replace a profile of the same name.
    #[arg(long)]
    pub replace: bool,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// s3://bucket[/prefix]; leave out to list buckets.
    pub url: Option<String>,
    /// List every object below the prefix, not one level.
    #[arg(short, long)]
    pub recursive: bool,
    /// Print JSON lines to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer mb|rb`.
#[derive(Debug, Args)]
pub struct BucketArgs {
    /// s3://bucket
    pub url: String,
}

/// Transfer tuning shared by cp and mv.
#[derive(Debug, Args, Clone)]
pub struct TuneArgs {
    /// Multipart part size (and ranged GET size), e.g. 8MiB.
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub part_size: u64,
    /// Requests in flight at once for parts, ranges and files over 256 KiB (smaller
    /// files and objects go up to 256 at once).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// `coffer cp`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// A local path or s3://bucket/key.
    pub src: String,
    /// A local path or s3://bucket/key (a trailing `/` means "into this folder").
    pub dst: String,
    /// Copy a folder or a prefix.
    #[arg(short, long)]
    pub recursive: bool,
    /// Transfer tuning.
    #[command(flatten)]
    pub tune: TuneArgs,
    /// Cache-Control of the new objects.
    #[arg(long)]
    pub cache_control: Option<String>,
    /// Content-Type of the new objects (default: the bucket's upload rules, then the
    /// file name's type).
    #[arg(long)]
    pub content_type: Option<String>,
    /// Content-Disposition of the new objects, e.g. `attachment`.
    #[arg(long)]
    pub content_disposition: Option<String>,
    /// Upload without the bucket's upload rules (`coffer rules list`).
    #[arg(long)]
    pub no_rules: bool,
    /// Storage class, e.g. STANDARD_IA.
    #[arg(long)]
    pub storage_class: Option<String>,
    /// User metadata, KEY=VALUE (repeatable).
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,
    /// Download this version of the object (s3://bucket/key → local; `coffer
    /// versions` lists them).
    #[arg(long, value_name = "ID")]
    pub version_id: Option<String>,
    /// Print a JSON report to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// s3://bucket/key
    pub url: String,
    /// Print JSON lines to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer restore-version`.
#[derive(Debug, Args)]
pub struct RestoreVersionArgs {
    /// s3://bucket/key
    pub url: String,
    /// The version to make current again.
    #[arg(long, value_name = "ID")]
    pub version_id: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    /// A local path or s3://bucket/key.
    pub src: String,
    /// A local path or s3://bucket/key.
    pub dst: String,
    /// Move a folder or a prefix.
    #[arg(short, long)]
    pub recursive: bool,
    /// Transfer tuning.
    #[command(flatten)]
    pub tune: TuneArgs,
    /// Upload without the bucket's upload rules (`coffer rules list`).
    #[arg(long)]
    pub no_rules: bool,
    /// Print a JSON report to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// s3://bucket/key, or s3://bucket/prefix/ with --recursive.
    pub url: String,
    /// Delete everything under the prefix.
    #[arg(short, long)]
    pub recursive: bool,
    /// Do not ask for confirmation of a recursive delete.
    #[arg(short, long)]
    pub yes: bool,
    /// Print a JSON report to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer stat`.
#[derive(Debug, Args)]
pub struct StatArgs {
    /// s3://bucket/key
    pub url: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer presign`.
#[derive(Debug, Args)]
pub struct PresignArgs {
    /// s3://bucket/key
    pub url: String,
    /// How long the URL works, e.g. 15m, 2h, 7d (at most 7 days, S3's limit). It
    /// cannot be revoked sooner except by rotating the key that signed it.
    #[arg(long, default_value = "1h", value_parser = parse_expiry)]
    pub expires: std::time::Duration,
    /// A URL to upload (PUT) instead of download.
    #[arg(long)]
    pub put: bool,
    /// Print JSON (the URL, its expiry and the share's id) to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer find`.
#[derive(Debug, Args)]
pub struct FindArgs {
    /// s3://bucket or s3://bucket/prefix/
    pub url: String,
    /// A substring of the key, or a glob on the whole key when it holds `* ? [ {`
    /// (`**/*.jpg`; `*` stays within one folder level). Case is ignored.
    pub pattern: Option<String>,
    /// Only objects larger than this, e.g. 10MiB.
    #[arg(long, value_parser = parse_size)]
    pub larger: Option<u64>,
    /// Only objects smaller than this.
    #[arg(long, value_parser = parse_size)]
    pub smaller: Option<u64>,
    /// Only objects modified within this long, e.g. 7d.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub newer: Option<std::time::Duration>,
    /// Only objects modified longer ago than this.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub older: Option<std::time::Duration>,
    /// Only this storage class.
    #[arg(long = "class")]
    pub storage_class: Option<String>,
    /// List the bucket now instead of answering from the index.
    #[arg(long)]
    pub fresh: bool,
    /// At most this many matches.
    #[arg(long, default_value_t = 100_000)]
    pub limit: usize,
    /// Print JSON lines to stdout (the matches, then a summary line).
    #[arg(long)]
    pub json: bool,
}

/// `coffer mirror …`
#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Save a mirror job (the agent runs it; at once, then on --every, or on every
    /// change with --watch).
    Add(MirrorAddArgs),
    /// Run a mirror once, now: through the agent when one runs, else here.
    Run(MirrorNameArgs),
    /// The mirror jobs.
    List(JsonFlag),
    /// Remove a mirror job (what it copied stays).
    Remove(MirrorNameArgs),
}

/// `coffer mirror add`
#[derive(Debug, Args)]
pub struct MirrorAddArgs {
    /// A name for the mirror.
    pub name: String,
    /// Where from: a folder or [PROFILE:]s3://BUCKET/PREFIX.
    pub src: String,
    /// Where to: a folder or [PROFILE:]s3://BUCKET/PREFIX.
    pub dst: String,
    /// Move what the source no longer has to DST's .coffer-trash/ first, then delete it.
    #[arg(long)]
    pub delete: bool,
    /// Follow a local SRC and mirror each change as it happens.
    #[arg(long)]
    pub watch: bool,
    /// Detect changes by checksum instead of size and time.
    #[arg(long)]
    pub checksum: bool,
    /// Run a pass this often (e.g. 1h); without it, one pass now.
    #[arg(long, conflicts_with = "watch")]
    pub every: Option<String>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// A mirror job by name.
#[derive(Debug, Args)]
pub struct MirrorNameArgs {
    /// The mirror's name.
    pub name: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a coffer.yml (./coffer.yml, else the data dir's): expand ${VAR},
    /// parse, check locations, profiles and databases; print what it describes.
    Check(ConfigCheckArgs),
}

/// `coffer config check`
#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// The file.
    pub file: Option<std::path::PathBuf>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer replicate …`
#[derive(Debug, Subcommand)]
pub enum ReplicateCommand {
    /// Save a replication job: the agent (the desktop app, `coffer serve` or `coffer
    /// agent`) keeps the database replicated while it runs. Shows the cost preview
    /// first.
    Add(ReplicateAddArgs),
    /// Replicate a SQLite database in the foreground until Ctrl-C or SIGTERM (then a
    /// last sync), like `litestream replicate`. Needs no agent.
    Run(ReplicateRunArgs),
    /// The replication jobs: state, TXID, lag, last sync.
    List(JsonFlag),
    /// One job (or every one) in detail: each replica's lag, last sync and snapshot,
    /// requests, the latest drills.
    Status(ReplicateNameArgs),
    /// Remove a replication job (the replicas stay).
    Remove(ReplicateNameArgs),
    /// Restore every replica of a job to a temporary file now, check it, and report.
    Drill(ReplicateNameArgs),
    /// Rebuild a database from its replica: the newest state, or at a time or TXID.
    Restore(ReplicateRestoreArgs),
}

/// `coffer replicate add`
#[derive(Debug, Args)]
pub struct ReplicateAddArgs {
    /// The database file.
    pub db: std::path::PathBuf,
    /// Where it goes: [PROFILE:]s3://BUCKET/PREFIX, one or more.
    #[arg(required = true)]
    pub replicas: Vec<String>,
    /// The database's name in the replica; the file's name by default.
    #[arg(long)]
    pub name: Option<String>,
    /// How often to ship what was committed.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: std::time::Duration,
    /// How often to upload a full snapshot.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub snapshot_every: std::time::Duration,
    /// How long history is kept.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub retain: std::time::Duration,
    /// How often the agent runs a restore drill (0s: never).
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub drill_every: std::time::Duration,
    /// Show the cost preview only; save nothing.
    #[arg(long)]
    pub preview: bool,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// A replication job: its id (or the start of it), its name, the database's name
/// in the replica, or the database's path.
#[derive(Debug, Args)]
pub struct ReplicateNameArgs {
    /// The job (every job when left out, for `status`).
    pub name: Option<String>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer replicate run`
#[derive(Debug, Args)]
pub struct ReplicateRunArgs {
    /// The database file (put in WAL mode if it is not).
    #[arg(required_unless_present = "config")]
    pub db: Option<std::path::PathBuf>,
    /// Where it goes: [PROFILE:]s3://BUCKET/PREFIX, one or more.
    #[arg(required_unless_present = "config")]
    pub replicas: Vec<String>,
    /// Replicate every database of this coffer.yml instead (with ${VAR} expanded).
    #[arg(long, conflicts_with_all = ["db", "replicas", "name"])]
    pub config: Option<std::path::PathBuf>,
    /// The database's name in the replica (its folder under PREFIX); the file's name
    /// by default.
    #[arg(long)]
    pub name: Option<String>,
    /// How often to ship what was committed.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: std::time::Duration,
    /// How often to upload a full snapshot.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub snapshot_every: std::time::Duration,
    /// How long history is kept (snapshots and everything after the oldest kept).
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub retain: std::time::Duration,
    /// Print one JSON status line per change to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer replicate restore`
#[derive(Debug, Args)]
pub struct ReplicateRestoreArgs {
    /// The replica: [PROFILE:]s3://BUCKET/PREFIX (holding one database) or
    /// s3://BUCKET/PREFIX/NAME.
    pub replica: String,
    /// Where the database goes.
    #[arg(long)]
    pub to: std::path::PathBuf,
    /// The newest state at or before this time (RFC 3339).
    #[arg(long, conflicts_with = "txid")]
    pub timestamp: Option<String>,
    /// The state right after this transaction.
    #[arg(long)]
    pub txid: Option<u64>,
    /// Replace the file at --to (and its stale -wal and -shm).
    #[arg(long)]
    pub force: bool,
    /// Segments downloaded at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer index …`
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// The indexed buckets: state, objects, size, how old; and the index's size on
    /// disk.
    Status(JsonFlag),
    /// Index a bucket, or list it again whole (whatever its size), and wait.
    Refresh(IndexBucketArgs),
    /// Forget a bucket's index.
    Forget(IndexBucketArgs),
}

/// A bucket to index.
#[derive(Debug, Args)]
pub struct IndexBucketArgs {
    /// s3://bucket
    pub bucket: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer shares …`
#[derive(Debug, Subcommand)]
pub enum SharesCommand {
    /// Every recorded link: live ones first, then expired ones.
    List(JsonFlag),
    /// Print a live link again (the same URL).
    Url(ShareIdArgs),
    /// Forget a link's record. The link keeps working until it expires.
    Forget(ShareIdArgs),
}

/// A share link's id.
#[derive(Debug, Args)]
pub struct ShareIdArgs {
    /// The id `coffer shares list` shows.
    pub id: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules of a bucket, or of every bucket of the profile, in order.
    List(RulesListArgs),
    /// Add a rule at the end of a bucket's list (or at --position).
    Add(RulesAddArgs),
    /// Remove a rule by id.
    Remove(RulesRemoveArgs),
}

/// `coffer rules list`.
#[derive(Debug, Args)]
pub struct RulesListArgs {
    /// s3://bucket (default: every bucket of the profile).
    pub bucket: Option<String>,
    /// Print JSON lines to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer rules add`.
#[derive(Debug, Args)]
pub struct RulesAddArgs {
    /// s3://bucket
    pub bucket: String,
    /// The glob: without `/` it matches the file name in any folder (`*.css`); with
    /// `/` the whole key (`assets/**/*.js`).
    pub glob: String,
    /// Content-Type.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Cache-Control, e.g. "public, max-age=31536000, immutable".
    #[arg(long)]
    pub cache_control: Option<String>,
    /// Content-Disposition, e.g. attachment.
    #[arg(long)]
    pub content_disposition: Option<String>,
    /// Storage class, e.g. STANDARD_IA.
    #[arg(long)]
    pub storage_class: Option<String>,
    /// User metadata, KEY=VALUE (repeatable).
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,
    /// Its place in the list, from 1 (default: last). Every matching rule applies in
    /// order; a later one wins.
    #[arg(long)]
    pub position: Option<usize>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer rules remove`.
#[derive(Debug, Args)]
pub struct RulesRemoveArgs {
    /// The id `coffer rules list` shows.
    pub id: String,
    /// Only look in this bucket (s3://bucket).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer region`.
#[derive(Debug, Args)]
pub struct RegionArgs {
    /// s3://bucket
    pub url: String,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer transfers ...`
#[derive(Debug, Subcommand)]
pub enum TransfersCommand {
    /// Unfinished multipart uploads that `coffer cp` can resume.
    List(JsonFlag),
    /// Abort multipart uploads older than a limit, and forget their resume state.
    Cleanup(CleanupArgs),
}

/// `coffer transfers cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Only uploads started longer ago than this.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub older_than: std::time::Duration,
    /// Only this bucket (s3://bucket); default: every bucket of the profile.
    pub bucket: Option<String>,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// Parses sizes such as `8MiB`, `16MB` or `5242880`.
pub fn parse_size(input: &str) -> Result<u64, String> {
    input
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("`{input}` is not a size like 8MiB: {e}"))
}

/// Parses a presigned URL's lifetime, e.g. `15m` or `7d`: S3 signatures (SigV4) last
/// from 1 second to 7 days, so anything else is a usage error.
pub fn parse_expiry(input: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(input).map_err(|e| format!("`{input}`: {e}"))?;
    let max = std::time::Duration::from_secs(7 * 24 * 3600);
    if duration < std::time::Duration::from_secs(1) || duration > max {
        return Err(format!(
            "`{input}`: a presigned URL lives between 1 second and 7 days"
        ));
    }
    Ok(duration)
}

/// `coffer backup …`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Create a repository on an empty bucket or prefix (made when missing); its
    /// password goes to the keychain.
    Init(BackupInitArgs),
    /// Back up folders into a new snapshot.
    Run(BackupRunArgs),
    /// List the snapshots.
    Snapshots(BackupRepoArgs),
    /// List what a snapshot holds under a path.
    Ls(BackupLsArgs),
    /// Restore a snapshot, or SNAPSHOT:PATH, into a folder.
    Restore(BackupRestoreArgs),
    /// Every distinct version of a path across all snapshots.
    Timeline(BackupTimelineArgs),
    /// Apply keep-* rules: forget the snapshots they do not keep (and prune).
    Forget(BackupForgetArgs),
    /// Remove data that no snapshot needs.
    Prune(BackupPruneArgs),
    /// Check the repository's structure, and with --read-data-subset its data.
    Check(BackupCheckArgs),
    /// The repository's keys (passwords): list, add, remove, passwd.
    #[command(subcommand)]
    Key(BackupKeyCommand),
}

/// The repository and how to reach it; shared by every `backup` verb.
#[derive(Debug, Args, Clone)]
pub struct RepoArgs {
    /// The repository: s3://BUCKET[/PREFIX].
    pub repo: String,
    /// Read the repository's password from the first line of stdin instead of the
    /// keychain.
    #[arg(long)]
    pub password_stdin: bool,
    /// Print JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coffer backup init`
#[derive(Debug, Args)]
pub struct BackupInitArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// This host never deletes or rewrites the repository's objects (no forget,
    /// prune or key removal here): its credentials can be limited to writes.
    #[arg(long)]
    pub append_only: bool,
}

/// `coffer backup run`
#[derive(Debug, Args)]
pub struct BackupRunArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Folders (or files) to back up.
    #[arg(required = true)]
    pub paths: Vec<std::path::PathBuf>,
    /// Leave out paths matching this glob (`*.tmp`, `node_modules`); repeatable.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Leave out the patterns in this file (one per line, .gitignore style); repeatable.
    #[arg(long)]
    pub exclude_file: Vec<std::path::PathBuf>,
    /// Honour .gitignore files found in the folders.
    #[arg(long)]
    pub git_ignore: bool,
    /// Do not cross into other file systems (mounted disks) below the paths.
    #[arg(long, short = 'x')]
    pub one_file_system: bool,
    /// Leave out folders that hold a CACHEDIR.TAG.
    #[arg(long)]
    pub exclude_caches: bool,
    /// Tag the snapshot; repeatable.
    #[arg(long)]
    pub tag: Vec<String>,
    /// The host name recorded in the snapshot (default: this machine's).
    #[arg(long)]
    pub host: Option<String>,
}

/// A repository alone.
#[derive(Debug, Args)]
pub struct BackupRepoArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `coffer backup ls`
#[derive(Debug, Args)]
pub struct BackupLsArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The snapshot: an id, an id prefix, or `latest`.
    pub snapshot: String,
    /// A folder in the snapshot (default: the root).
    #[arg(default_value = "/")]
    pub path: String,
    /// Everything below the folder, not only its entries.
    #[arg(long, short = 'r')]
    pub recursive: bool,
}

/// `coffer backup restore`
#[derive(Debug, Args)]
pub struct BackupRestoreArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The snapshot (id, id prefix or `latest`), optionally with a path in it:
    /// `latest:/home/me/docs`.
    pub snapshot: String,
    /// The folder to restore into.
    #[arg(long)]
    pub target: std::path::PathBuf,
    /// What to do with files that exist and differ: never (refuse, the default),
    /// if-changed or always.
    #[arg(long, default_value = "never")]
    pub overwrite: String,
}

/// `coffer backup timeline`
#[derive(Debug, Args)]
pub struct BackupTimelineArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The path as backed up (absolute).
    pub path: String,
}

/// The keep-* rules.
#[derive(Debug, Args, Clone, Default)]
pub struct KeepArgs {
    /// Keep the last N snapshots.
    #[arg(long)]
    pub keep_last: Option<u32>,
    /// Keep the last snapshot of each of the last N hours.
    #[arg(long)]
    pub keep_hourly: Option<u32>,
    /// … of each of the last N days.
    #[arg(long)]
    pub keep_daily: Option<u32>,
    /// … of each of the last N weeks.
    #[arg(long)]
    pub keep_weekly: Option<u32>,
    /// … of each of the last N months.
    #[arg(long)]
    pub keep_monthly: Option<u32>,
    /// … of each of the last N years.
    #[arg(long)]
    pub keep_yearly: Option<u32>,
}

/// `coffer backup forget`
#[derive(Debug, Args)]
pub struct BackupForgetArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub keep: KeepArgs,
    /// Prune afterwards.
    #[arg(long)]
    pub prune: bool,
    /// Only show what would go.
    #[arg(long)]
    pub dry_run: bool,
}

/// `coffer backup prune`
#[derive(Debug, Args)]
pub struct BackupPruneArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Only show what would go.
    #[arg(long)]
    pub dry_run: bool,
}

/// `coffer backup check`
#[derive(Debug, Args)]
pub struct BackupCheckArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Also read this part of the data: all, a percentage (10%), n/m, or a size.
    #[arg(long)]
    pub read_data_subset: Option<String>,
}

/// `coffer backup key …`
#[derive(Debug, Subcommand)]
pub enum BackupKeyCommand {
    /// List the keys.
    List(BackupRepoArgs),
    /// Add a key for a new password (read from stdin after the current one, or
    /// asked for).
    Add(BackupRepoArgs),
    /// Remove a key by id (or a unique start of it).
    Remove(BackupKeyRemoveArgs),
    /// Change the password: a new key replaces the one in use; the keychain gets the
    /// new password.
    Passwd(BackupRepoArgs),
}

/// `coffer backup key remove`
#[derive(Debug, Args)]
pub struct BackupKeyRemoveArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The key's id, or a unique start of it.
    pub id: String,
}
