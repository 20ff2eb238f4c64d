//! `hallguard`: the one binary of the hallguard suite.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hallguard::{ServiceRole, Suite};
use hallguard_platform::config::CommonArgs;
use hallguard_platform::db::DatabaseTarget;
use secrecy::ExposeSecret;

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
    Serve(ServeArgs),
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
        Command::Serve(args) => runtime.block_on(serve(args)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hallguard: {error}");
            ExitCode::FAILURE
        }
    }
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
        suite.launch(*role, &settings, target, listener).await?;
        println!("{} listening on {address}", role.name());
    }
    hallguard_platform::server::shutdown_signal().await;
    suite.stop(std::time::Duration::from_secs(30)).await?;
    Ok(())
}
