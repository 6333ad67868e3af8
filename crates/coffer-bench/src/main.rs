//! `coffer-ceiling`: the server's raw ceiling for the benchmark's large file.
//!
//! The simplest fast client there is: the file is loaded into memory as parts before
//! the clock starts, then `put` stores each part as an object of its own with parallel
//! PUTs over one connection pool (no checksum, unsigned payload, nothing read from
//! disk), and `get` reads them back in parallel and throws the bytes away. What it
//! prints is the seconds the requests took: the most this server takes in for these
//! bytes on this machine, against which Coffer is reported as a share.
//!
//! ```text
//! coffer-ceiling put|get --endpoint URL --bucket B --prefix P --file F \
//!     [--part-mib 8] [--concurrency 8]
//! ```
//! Credentials and region come from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
//! `AWS_REGION`.

use std::io::Read;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};

struct Args {
    verb: String,
    endpoint: String,
    bucket: String,
    prefix: String,
    file: String,
    part: usize,
    concurrency: usize,
}

fn parse() -> Result<Args> {
    let mut raw = std::env::args().skip(1);
    let verb = raw.next().context("put or get?")?;
    let mut args = Args {
        verb,
        endpoint: String::new(),
        bucket: String::new(),
        prefix: "ceiling".into(),
        file: String::new(),
        part: 8 << 20,
        concurrency: 8,
    };
    while let Some(flag) = raw.next() {
        let value = raw
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--endpoint" => args.endpoint = value,
            "--bucket" => args.bucket = value,
            "--prefix" => args.prefix = value,
            "--file" => args.file = value,
            "--part-mib" => args.part = value.parse::<usize>()? << 20,
            "--concurrency" => args.concurrency = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if args.endpoint.is_empty() || args.bucket.is_empty() || args.file.is_empty() {
        bail!("--endpoint, --bucket and --file are required");
    }
    Ok(args)
}

fn client(endpoint: &str) -> Result<Client> {
    let env = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(env("AWS_REGION")?))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            env("AWS_ACCESS_KEY_ID")?,
            env("AWS_SECRET_ACCESS_KEY")?,
            None,
            None,
            "bench",
        ))
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
        .build();
    Ok(Client::from_conf(config))
}

/// The file, cut into parts, in memory.
fn load(path: &str, part: usize) -> Result<Vec<Bytes>> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
    let mut parts = Vec::new();
    loop {
        let mut buf = Vec::with_capacity(part);
        let n = (&mut file).take(part as u64).read_to_end(&mut buf)?;
        if n == 0 {
            break;
        }
        parts.push(Bytes::from(buf));
    }
    Ok(parts)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse()?;
    let client = client(&args.endpoint)?;
    let parts = load(&args.file, args.part)?;
    let keys: Vec<String> = (0..parts.len())
        .map(|i| format!("{}/part-{i:05}", args.prefix))
        .collect();
    let (client, bucket) = (&client, args.bucket.as_str());
    let started = Instant::now();
    match args.verb.as_str() {
        "put" => {
            stream::iter(keys.iter().zip(parts))
                .map(|(key, body)| async move {
                    client
                        .put_object()
                        .bucket(bucket)
                        .key(key)
                        .content_length(body.len() as i64)
                        .body(ByteStream::from(body))
                        .customize()
                        .disable_payload_signing()
                        .send()
                        .await
                        .with_context(|| format!("PUT {key}"))
                        .map(|_| ())
                })
                .buffer_unordered(args.concurrency)
                .try_collect::<Vec<()>>()
                .await?;
        }
        "get" => {
            let sizes: Vec<u64> = stream::iter(keys.iter())
                .map(|key| async move {
                    let out = client
                        .get_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .with_context(|| format!("GET {key}"))?;
                    let mut body = out.body;
                    let mut got = 0u64;
                    while let Some(chunk) = body.next().await {
                        got += chunk.with_context(|| format!("GET {key}"))?.len() as u64;
                    }
                    Ok::<u64, anyhow::Error>(got)
                })
                .buffer_unordered(args.concurrency)
                .try_collect()
                .await?;
            let expected: u64 = std::fs::metadata(&args.file)?.len();
            if sizes.iter().sum::<u64>() != expected {
                bail!(
                    "read {} bytes, expected {expected}",
                    sizes.iter().sum::<u64>()
                );
            }
        }
        other => bail!("unknown verb {other}; use put or get"),
    }
    println!("{:.3}", started.elapsed().as_secs_f64());
    Ok(())
}
