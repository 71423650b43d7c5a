//! The `partner-portal` command: serve the portal, migrate, create an admin, check the
//! policy.

use std::{io::BufRead, net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use partner_portal::{
    AppState, app,
    authz::{self, Authz},
    config::Settings,
    services, store,
};
use tracing_subscriber::EnvFilter;

/// jemalloc serves Rust and C allocations alike (see `Cargo.toml`).
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "partner-portal", version, about = "A portal where a vendor and its partners work together")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (applies pending migrations first).
    Serve {
        /// Load demonstration data into an empty database and print its sign-ins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load data into the database: the demo data, or with --bench a large data set
    /// for the benchmarks (on top of the demo data).
    Seed {
        /// Generate the benchmark data set.
        #[arg(long)]
        bench: bool,
        /// How many requests the benchmark data set holds.
        #[arg(long, default_value_t = 100_000, requires = "bench")]
        requests: u64,
        /// How many partner organizations the benchmark data set holds (300: the
        /// default shape; more: a large vendor's, a few levels deep).
        #[arg(long, default_value_t = 300, requires = "bench")]
        partners: usize,
    },
    /// Create a vendor admin, or reset an existing account to one. The password is
    /// asked for on a terminal, or read from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// The vendor organization's name, used when there is none yet.
        #[arg(long, default_value = "Vendor")]
        vendor: String,
    },
    /// Load and validate the policies, then exit (non-zero with the error on failure).
    CheckPolicy {
        /// A folder of .polar files (default: PORTAL_POLICIES, else ./policies when it
        /// exists, else the built-in policy).
        #[arg(long)]
        policies: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    match cli.command {
        Command::CheckPolicy { policies } => {
            let dir = policies.or_else(|| policy_dir(&settings));
            Authz::load(dir.as_deref())?;
            authz::load_chains(dir.as_deref())?;
            println!(
                "policy and approval chains ok: {}",
                dir.map_or_else(|| "built-in".to_owned(), |d| d.display().to_string())
            );
            Ok(())
        }
        Command::Migrate => {
            let db = store::connect_with_pool(&settings.database_url, settings.database_pool)
                .await
                .context("PORTAL_DATABASE_URL")?;
            store::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin { email, name, vendor } => {
            let password = read_password()?;
            let db = store::connect_with_pool(&settings.database_url, settings.database_pool)
                .await
                .context("PORTAL_DATABASE_URL")?;
            store::migrate(&db).await?;
            let passwords = services::passwords::Passwords::new(1)?;
            let id = services::users::create_admin(&db, &passwords, &email, &name, &password, &vendor).await?;
            println!("vendor admin {email} is ready (user id {id})");
            Ok(())
        }
        Command::Seed { bench, requests, partners } => {
            let db = store::connect_with_pool(&settings.database_url, settings.database_pool)
                .await
                .context("PORTAL_DATABASE_URL")?;
            store::migrate(&db).await?;
            let passwords = services::passwords::Passwords::new(1)?;
            if bench {
                let started = std::time::Instant::now();
                let seeded = services::bench_seed::bench_with(&db, &passwords, requests, partners).await?;
                println!(
                    "bench data loaded in {:.1} s: {} partners, {} users, {} requests, {} approval steps",
                    started.elapsed().as_secs_f64(),
                    seeded.partners,
                    seeded.users,
                    seeded.requests,
                    seeded.steps
                );
            } else if services::seed::demo(&db, &passwords).await? {
                println!("demo data loaded");
            } else {
                println!("the database has data already; nothing loaded");
            }
            Ok(())
        }
        Command::Serve { demo } => serve(settings, demo).await,
    }
}

/// `PORTAL_POLICIES`, else `./policies` when it exists, else `None` (the built-in copy),
/// so the binary runs from any directory.
fn policy_dir(settings: &Settings) -> Option<PathBuf> {
    settings.policies.clone().or_else(|| {
        let local = PathBuf::from("policies");
        local.join("portal.polar").is_file().then_some(local)
    })
}

fn read_password() -> anyhow::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Password, again: ")?;
        if first != second {
            bail!("the passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let dir = policy_dir(&settings);
    let authz = Authz::load(dir.as_deref()).context("policy")?;
    let chains = Arc::new(authz::load_chains(dir.as_deref()).context("approval chains")?);
    tracing::info!(policies = %dir.as_ref().map_or_else(|| "built-in".to_owned(), |d| d.display().to_string()), "policy loaded");
    let db = store::connect_with_pool(&settings.database_url, settings.database_pool)
        .await
        .context("PORTAL_DATABASE_URL")?;
    store::migrate(&db).await.context("migrations")?;
    // Half the cores at most hash passwords, so a flood of sign-ins leaves the other
    // half to every other page.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let passwords = services::passwords::Passwords::new(cores.div_ceil(2))?;
    if demo {
        if services::seed::demo(&db, &passwords).await? {
            println!("Demo data loaded. Sign in with any of these (password: {}):", services::seed::DEMO_PASSWORD);
            for (email, _, org, role, _) in services::seed::DEMO_USERS {
                println!("  {email:<26} {} of {org}", role.label());
            }
        } else {
            println!("The database has data already; the demo data was not loaded.");
        }
    }
    let bind = settings.bind;
    let state = AppState::new(db, authz, chains, passwords, settings);
    let mailer = services::mail::Mailer::new(
        state.settings.smtp_url.as_deref(),
        &state.settings.mail_from,
        &state.settings.base_url,
    )
    .map_err(anyhow::Error::msg)?;
    tokio::spawn(partner_portal::purge_periodically(state.clone()));
    tokio::spawn(partner_portal::work_periodically(state.clone(), mailer, std::time::Duration::from_secs(30)));
    let listener =
        tokio::net::TcpListener::bind(bind).await.with_context(|| format!("PORTAL_BIND: cannot listen on {bind}"))?;
    println!("Partner Portal listening on http://{bind}");
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down; finishing requests in flight");
}
