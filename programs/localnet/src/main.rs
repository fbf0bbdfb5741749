//! quantdesk-localnet: one bank, N JSON-RPC ports (each a separate provider with its own faults),
//! WebSocket on each port + 1, and development controls on the control port.
//!   quantdesk-localnet --rpc-ports 8899,8901,8903 --control-port 8890 --bootstrap-out .data/localnet.json
//!                      [--slot-ms 400] [--host 127.0.0.1]
use quantdesk_localnet::{bootstrap::bootstrap, chain::Chain, control, faults::PortState, rpc};
use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

struct Args {
    rpc_ports: Vec<u16>,
    control_port: u16,
    bootstrap_out: Option<String>,
    slot_ms: u64,
    host: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        rpc_ports: vec![8899],
        control_port: 8890,
        bootstrap_out: None,
        slot_ms: 0,
        host: "127.0.0.1".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--rpc-ports" => {
                args.rpc_ports = value
                    .split(',')
                    .map(|p| p.trim().parse().map_err(|_| format!("bad port {p}")))
                    .collect::<Result<_, _>>()?
            }
            "--control-port" => args.control_port = value.parse().map_err(|_| "bad control port")?,
            "--bootstrap-out" => args.bootstrap_out = Some(value),
            "--slot-ms" => args.slot_ms = value.parse().map_err(|_| "bad --slot-ms")?,
            "--host" => args.host = value,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

/// Drops connections unanswered while its provider is down, as a killed node would.
struct FaultyListener {
    inner: TcpListener,
    port: Arc<PortState>,
}

impl axum::serve::Listener for FaultyListener {
    type Io = TcpStream;
    type Addr = SocketAddr;
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) if !self.port.is_down() => return (stream, addr),
                Ok(_) => continue,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

async fn bind(host: &str, port: u16) -> TcpListener {
    TcpListener::bind((host, port)).await.unwrap_or_else(|e| {
        eprintln!("localnet: cannot listen on {host}:{port}: {e}");
        std::process::exit(3);
    })
}

#[tokio::main]
async fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("localnet: {e}");
        std::process::exit(2);
    });
    if std::env::var_os("RUST_LOG").is_none() {
        // The bank logs every instruction at debug level; a node operator wants warnings.
        std::env::set_var("RUST_LOG", "warn,tarpc=error");
    }
    let mut chain = Chain::start().await;
    let dev = Arc::new(
        bootstrap(&mut chain)
            .await
            .unwrap_or_else(|e| panic!("bootstrap failed: {e:?}")),
    );
    if let Some(path) = &args.bootstrap_out {
        std::fs::write(path, serde_json::to_string_pretty(&dev.bootstrap).unwrap()).expect("write bootstrap file");
    }
    let chain = Arc::new(Mutex::new(chain));
    let ports: Arc<BTreeMap<u16, Arc<PortState>>> = Arc::new(
        args.rpc_ports
            .iter()
            .map(|p| (*p, Arc::new(PortState::new(*p))))
            .collect(),
    );

    for (port, state) in ports.iter() {
        let rpc_state = rpc::RpcState {
            chain: chain.clone(),
            port: state.clone(),
        };
        let http = FaultyListener {
            inner: bind(&args.host, *port).await,
            port: state.clone(),
        };
        let ws = FaultyListener {
            inner: bind(&args.host, port + 1).await,
            port: state.clone(),
        };
        tokio::spawn(async move { axum::serve(http, rpc::http_router(rpc_state.clone())).await });
        let ws_state = rpc::RpcState {
            chain: chain.clone(),
            port: state.clone(),
        };
        tokio::spawn(async move { axum::serve(ws, rpc::ws_router(ws_state)).await });
    }
    let control_state = control::ControlState {
        chain: chain.clone(),
        dev: dev.clone(),
        ports: ports.clone(),
    };
    let control_listener = bind(&args.host, args.control_port).await;
    tokio::spawn(async move { axum::serve(control_listener, control::router(control_state)).await });

    if args.slot_ms > 0 {
        let ticking = chain.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(args.slot_ms));
            loop {
                every.tick().await;
                let wall = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or_default();
                ticking.lock().await.tick(wall).await;
            }
        });
    }
    eprintln!(
        "localnet ready: rpc {:?} (ws on each +1), control {}, program {}",
        args.rpc_ports, args.control_port, dev.bootstrap.program_id
    );
    let _ = tokio::signal::ctrl_c().await;
}
