//! `hallguard`: the one binary of the hallguard suite.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hallguard::{ServiceRole, Suite};
use hallguard_platform::auth::Role;
use hallguard_platform::config::CommonArgs;
use hallguard_platform::db::DatabaseTarget;
use secrecy::ExposeSecret;

// Building the contact graph allocates and frees millions of small keys and lists:
// mimalloc measured 16-20% faster there than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Epidemic prevention for a public service hall: entry screening, staff health, the
/// incident response and contact tracing, as gRPC services.
#[derive(Debug, Parser)]
#[command(name = "hallguard", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve one service role, or all of them in one process.
    Serve(Box<ServeArgs>),
    /// Run every service here on SQLite, simulate a day at the sample hall with both
    /// scenarios of the plan, walk the incidents through the seven steps, and show what
    /// happened, with pictures of the contacts.
    Demo(DemoArgs),
    #[command(flatten)]
    Analyst(Box<hallguard::analyst::AnalystCommand>),
    /// The tracing engine on a presence export (CSV), without services: the exposure
    /// line list, a person's contacts, or clusters.
    #[command(
        after_help = "Examples:\n  hallguard analyze presence.csv --format csv --out exposures.csv\n  \
        hallguard analyze presence.csv --question contacts --person v-17 --rings 2\n  \
        hallguard analyze presence.csv --question clusters --zone-minutes 30"
    )]
    Analyze(Box<hallguard::analyze::AnalyzeArgs>),
    /// Check a running deployment: a service's health, or a check-in all the way to
    /// contact tracing.
    #[command(subcommand)]
    Check(hallguard::check::CheckCommand),
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Seed of the simulated day: the same seed gives the same day.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Visitors over the day (the two scenario visitors come on top).
    #[arg(long, default_value_t = 2_000)]
    visitors: u32,
    /// The local date to simulate, YYYY-MM-DD, within the last 28 days; default yesterday.
    #[arg(long, value_parser = parse_past_date)]
    date: Option<i64>,
    /// Folder for the pictures, exports and upward reports.
    #[arg(long, default_value = "hallguard-demo")]
    out: std::path::PathBuf,
    /// Keep the data in this folder (SQLite files); a temporary folder when unset.
    #[arg(long)]
    data: Option<std::path::PathBuf>,
    /// After the summary, keep serving on 127.0.0.1:50051-50054 for the analyst commands
    /// until Ctrl-C.
    #[arg(long)]
    keep_serving: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn parse_past_date(text: &str) -> Result<i64, String> {
    let day = hallguard_domain::time::parse_date(text)
        .ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD)"))?;
    // Days in the sample hall's own calendar, as the demo plays it.
    let today = hallguard_domain::hall::Hall::sample().local_day(hallguard_domain::time::now_millis());
    if day >= today {
        return Err("the demo simulates a past day: give a date before today".into());
    }
    if day < today - 27 {
        return Err("presence older than 28 days is deleted by retention: give a later date".into());
    }
    Ok(day)
}

/// Which services to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ServeTarget {
    /// Entry screening at the gates.
    Screening,
    /// Staff health and canteen seating.
    StaffHealth,
    /// The incident response, hygiene and supplies.
    Incident,
    /// Contact tracing.
    ContactTracing,
    /// All four in one process, on consecutive ports from --listen.
    All,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// What to serve.
    #[arg(value_enum)]
    target: ServeTarget,

    /// Address to listen on. With `all`, the services take this port and the next three
    /// (screening, staff-health, incident, contact-tracing).
    #[arg(long, env = "HALLGUARD_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hallguard: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Command::Serve(args) => runtime.block_on(serve(*args)),
        Command::Demo(args) => runtime.block_on(demo(args)),
        Command::Check(command) => runtime.block_on(async {
            let found = hallguard::check::run(command).await?;
            let _ = writeln!(std::io::stdout(), "{found}");
            Ok(())
        }),
        Command::Analyze(args) => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout());
            hallguard::analyze::run(&args, &mut stdout).map_err(Into::into)
        }
        Command::Analyst(command) => runtime.block_on(async {
            let printed = hallguard::analyst::run(*command).await?;
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            let _ = writeln!(std::io::stdout(), "{printed}");
            Ok(())
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hallguard: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn demo(args: DemoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let temporary = tempfile::tempdir()?;
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| temporary.path().to_path_buf());
    std::fs::create_dir_all(&data)?;
    if std::fs::read_dir(&data)?.next().is_some() {
        // A second day over the first one's records would tell a mixed story.
        return Err(format!(
            "--data {} is not empty: give an empty or new folder",
            data.display()
        )
        .into());
    }
    let url = format!("sqlite://{}", data.display());
    let options = hallguard::demo::DemoOptions {
        seed: args.seed,
        visitors: args.visitors,
        date: args.date,
        out_dir: args.out.clone(),
        progress: !args.quiet,
        listen: args
            .keep_serving
            .then(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
    };
    eprintln!(
        "starting the four services on SQLite in {} and simulating a day ({} visitors, seed {})",
        data.display(),
        args.visitors,
        args.seed
    );
    let demo = hallguard::demo::run(&options, &url, |role| DatabaseTarget {
        url: url.clone(),
        namespace: role.name().to_string(),
    })
    .await?;
    println!("{}", demo.summary);
    if args.keep_serving {
        for (role, address) in &demo.suite.addresses {
            println!("{} listening on {address}", role.name());
        }
        for role in [Role::Analyst, Role::DutyOfficer] {
            println!("{role} token: {}", demo.tokens[&role].expose_secret());
        }
        println!("serving until Ctrl-C; try: hallguard incidents list --token <analyst token>");
        hallguard_platform::server::shutdown_signal().await;
    }
    demo.suite.stop(std::time::Duration::from_secs(30)).await?;
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = args.common.resolve()?;
    let roles: Vec<ServiceRole> = match args.target {
        ServeTarget::Screening => vec![ServiceRole::Screening],
        ServeTarget::StaffHealth => vec![ServiceRole::StaffHealth],
        ServeTarget::Incident => vec![ServiceRole::Incident],
        ServeTarget::ContactTracing => vec![ServiceRole::ContactTracing],
        ServeTarget::All => ServiceRole::ALL.to_vec(),
    };
    let _telemetry = hallguard_platform::telemetry::init(
        if roles.len() == 1 {
            roles[0].name()
        } else {
            "hallguard"
        },
        args.common.log_format,
    );
    // Every connection is a file: take the hard limit rather than the soft one (often
    // 1,024, or 128 in some runtimes), so the connection limit binds before the file limit.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open-file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
    for (role, token) in &settings.dev_tokens {
        // Development mode only: the operator needs these to call the server.
        println!("dev token for role {role}: {}", token.expose_secret());
    }

    if roles.len() > 1 {
        // One process serves every role: each finds its peers on this process's ports.
        let mut own = args.listen;
        if own.ip().is_unspecified() {
            own.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        for (offset, role) in roles.iter().enumerate() {
            if settings.peers.url(role.name()).is_none() {
                let mut address = own;
                address.set_port(own.port() + u16::try_from(offset)?);
                settings.peers.set(role.name(), format!("http://{address}"));
            }
        }
    }

    if let Some(address) = settings.metrics_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| format!("cannot listen on {address} for metrics: {error}"))?;
        tokio::spawn(hallguard_platform::metrics::serve(listener));
        println!("metrics on http://{address}/metrics");
    }

    // A stop signal while starting (a database still unreachable, a long rebuild) ends
    // the start at once rather than after the orchestrator's forced kill.
    let shutdown = hallguard_platform::server::shutdown_signal();
    tokio::pin!(shutdown);
    let mut suite = Suite::new();
    for (offset, role) in roles.iter().enumerate() {
        let mut address = args.listen;
        address.set_port(args.listen.port() + u16::try_from(offset)?);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| format!("cannot listen on {address} for {}: {error}", role.name()))?;
        let target = DatabaseTarget {
            url: settings.database_url.clone(),
            namespace: role.name().to_string(),
        };
        tokio::select! {
            launched = suite.launch(*role, &settings, target, listener) => launched?,
            () = &mut shutdown => {
                println!("stopped while starting {}", role.name());
                suite.stop(std::time::Duration::from_secs(30)).await?;
                return Ok(());
            }
        };
        println!("{} listening on {address}", role.name());
    }
    shutdown.await;
    suite.stop(std::time::Duration::from_secs(30)).await?;
    Ok(())
}
