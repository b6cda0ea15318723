//! Typed views of states and actions, for presentation: what a picture or a summary may show
//! of a server, a message and a step, in a variant's own words. Nothing here draws; the
//! `raftspec-view` crate draws from these types (and reads foreign ITF traces into them).

/// The words a variant uses: Raft has terms and a commit index, KRaft epochs and a high
/// watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    /// Prefix of a term/epoch number in cells and labels: `t` or `e`.
    pub t: &'static str,
    /// `term` or `epoch`.
    pub term: &'static str,
    /// Short name of the commit mark: `commit` or `HW`.
    pub commit: &'static str,
    /// Long name of the commit mark: `commit index` or `high watermark`.
    pub commit_long: &'static str,
    /// A control record some log cells hold (KRaft's LeaderChange): (short text, legend line).
    pub control: Option<(&'static str, &'static str)>,
}

/// What a log cell carries.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CellValue {
    /// A client value.
    Client(i64),
    /// A control record (its short name, e.g. `LC`).
    Control(String),
    /// Anything else (foreign traces), as text.
    Text(String),
}

/// One log entry: its term (epoch) and what it carries.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogCell {
    pub term: Option<i64>,
    pub value: CellValue,
}

/// One server as a picture shows it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServerView {
    pub role: String,
    pub term: Option<i64>,
    pub voted_for: Option<i64>,
    pub leader: Option<i64>,
    pub log: Vec<LogCell>,
    /// Entries known committed: Raft's commitIndex, KRaft's high watermark (both count entries).
    pub commit: Option<i64>,
    pub down: bool,
}

/// One field of a message, typed by how it reads.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldValue {
    /// The sender's term/epoch.
    Term(i64),
    Int(i64),
    /// A yes/no answer and its words (`granted`/`denied`).
    Flag {
        on: bool,
        yes: &'static str,
        no: &'static str,
    },
    /// A server id, or none.
    Server(Option<i64>),
    Servers(Vec<i64>),
    /// A log position: (index or offset, term or epoch).
    Position {
        index: i64,
        term: i64,
    },
    /// An optional number (KRaft's absent high watermark).
    MaybeInt(Option<i64>),
    Cells(Vec<LogCell>),
    /// A tagged sub-record (KRaft's fetch result).
    Variant(String, Vec<Field>),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Field {
    pub name: String,
    pub value: FieldValue,
}

impl Field {
    pub fn new(name: &str, value: FieldValue) -> Field {
        Field {
            name: name.to_string(),
            value,
        }
    }
}

/// A message: its kind, its channel and its fields in protocol order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgView {
    pub kind: String,
    pub from: usize,
    pub to: usize,
    pub fields: Vec<Field>,
}

/// What one step is: a network action on a message, or a server's own event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventView {
    Deliver(MsgView),
    Drop(MsgView),
    Duplicate(MsgView),
    /// A timer fires on a server (`election timeout`).
    Timer {
        server: usize,
        name: String,
    },
    /// A client asks a server to append a value.
    Client {
        server: usize,
        value: Option<i64>,
    },
    /// A server crashes; `restarts` when it comes back in the same step.
    Crash {
        server: usize,
        restarts: bool,
    },
    /// A server comes back after a crash.
    Recover {
        server: usize,
    },
    /// Anything else a server does (foreign traces).
    Local {
        server: Option<usize>,
        text: String,
    },
}

/// An entry acknowledged to a client, and the term of the leader that acknowledged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acked {
    pub cell: LogCell,
    pub by: Option<i64>,
}

/// A whole state as pictures show it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StateView {
    pub servers: Vec<ServerView>,
    /// Each distinct message in flight with its number of copies.
    pub network: Vec<(MsgView, u64)>,
    pub acknowledged: Vec<Acked>,
}

/// A server id as a field value.
pub fn server(id: Option<u8>) -> FieldValue {
    FieldValue::Server(id.map(i64::from))
}

impl MsgView {
    /// A message's view: its kind and channel, and the fields given.
    pub fn of<M: crate::network::Envelope>(m: &M, kind: &str, fields: Vec<Field>) -> MsgView {
        MsgView {
            kind: kind.to_string(),
            from: m.from().into(),
            to: m.to().into(),
            fields,
        }
    }
}

impl EventView {
    pub fn timer(server: u8, name: &str) -> EventView {
        EventView::Timer {
            server: server.into(),
            name: name.to_string(),
        }
    }
    pub fn client(server: u8, value: u8) -> EventView {
        EventView::Client {
            server: server.into(),
            value: Some(value.into()),
        }
    }
    /// A crash and restart in one step.
    pub fn restart(server: u8) -> EventView {
        EventView::Crash {
            server: server.into(),
            restarts: true,
        }
    }
}

impl StateView {
    /// A state's view from its servers, its network and its acknowledged entries.
    pub fn of<M>(
        servers: Vec<ServerView>,
        network: &crate::network::Network<M>,
        msg: impl Fn(&M) -> MsgView,
        acknowledged: Vec<Acked>,
    ) -> StateView {
        StateView {
            servers,
            network: network
                .in_flight
                .iter()
                .map(|(m, c)| (msg(m), u64::from(*c)))
                .collect(),
            acknowledged,
        }
    }
}

/// An acknowledged entry: its cell and the term of the leader that acknowledged it.
pub fn acked(cell: LogCell, by: u8) -> Acked {
    Acked {
        cell,
        by: Some(by.into()),
    }
}
