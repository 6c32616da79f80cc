//! How the cache writes a file's entry: its glance, then (unless a screen
//! skipped the file) the record as MessagePack and the loader's findings, in
//! length-prefixed little-endian fields. Every read is bounds-checked: a
//! cut or altered entry decodes as nothing, never as something else.

use crate::diag::{Code, Finding, Pos, Severity};
use crate::glance::{Glance, OwnedScan};
use crate::model::{EventDetails, Kind, Record};

/// What the loader gave for a file: its record, if any, and its findings.
pub(crate) type Gave = (Option<Record>, Vec<Finding>);

/// Encodes a file's glance and, when known, what the loader gave.
pub(crate) fn encode(glance: &Glance, loaded: Option<(Option<&Record>, &[Finding])>) -> Option<Vec<u8>> {
    let mut w = Vec::with_capacity(1024);
    match &glance.scan {
        None => w.push(0),
        Some(s) => {
            w.push(1);
            w.push(kind_index(s.kind));
            for v in [&s.status, &s.change_type, &s.maintenance, &s.id] {
                put_opt(&mut w, v.as_deref());
            }
            w.push(u8::from(s.caused_by));
            for t in [s.earliest, s.latest] {
                put_u64(&mut w, t.as_second() as u64);
                put_u64(&mut w, i64::from(t.subsec_nanosecond()) as u64);
            }
        }
    }
    match &glance.services {
        None => w.push(0),
        Some(v) => {
            w.push(1);
            put_u64(&mut w, v.len() as u64);
            for s in v {
                put_str(&mut w, s);
            }
        }
    }
    let Some((record, findings)) = loaded else {
        w.push(0);
        return Some(w);
    };
    w.push(1);
    match record {
        None => w.push(0),
        Some(r) => {
            w.push(1);
            w.push(kind_index(r.kind()));
            let bytes = r.to_msgpack().ok()?;
            put_u64(&mut w, bytes.len() as u64);
            w.extend_from_slice(&bytes);
        }
    }
    put_u64(&mut w, findings.len() as u64);
    for f in findings {
        let code = Code::ALL.iter().position(|c| *c == f.code)?;
        put_u64(&mut w, code as u64);
        w.push(u8::from(f.severity == Severity::Warning));
        put_str(&mut w, &f.message);
        put_str(&mut w, &f.file);
        put_u64(&mut w, f.pos.line as u64);
        put_u64(&mut w, f.pos.column as u64);
        put_opt(&mut w, f.hint.as_deref());
    }
    Some(w)
}

/// Decodes [`encode`]'s glance, and the bytes that follow it (for
/// [`decode_rest`]: a screen decides before the record is decoded); `None`
/// when they are not that.
pub(crate) fn decode_glance(blob: &[u8]) -> Option<(Glance, &[u8])> {
    let mut r = Reader::new(blob);
    let scan = match r.u8()? {
        0 => None,
        1 => {
            let kind = r.kind()?;
            let (status, change_type, maintenance, id) = (r.opt()?, r.opt()?, r.opt()?, r.opt()?);
            let caused_by = r.bool()?;
            let (earliest, latest) = (r.timestamp()?, r.timestamp()?);
            Some(OwnedScan {
                kind,
                status,
                change_type,
                maintenance,
                caused_by,
                id,
                earliest,
                latest,
            })
        }
        _ => return None,
    };
    let services = match r.u8()? {
        0 => None,
        1 => {
            let n = r.u64()?;
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(r.str()?.to_string());
            }
            Some(v)
        }
        _ => return None,
    };
    Some((Glance { scan, services }, r.b))
}

/// Decodes what follows the glance: `Some(None)` when only the glance was
/// kept (a screen skipped the file), `None` when the bytes are not that.
pub(crate) fn decode_rest(rest: &[u8], events: EventDetails) -> Option<Option<Gave>> {
    let mut r = Reader::new(rest);
    let loaded = match r.u8()? {
        0 => None,
        1 => {
            let record = match r.u8()? {
                0 => None,
                1 => {
                    let kind = r.kind()?;
                    let n = usize::try_from(r.u64()?).ok()?;
                    Some(Record::from_msgpack(kind, r.bytes(n)?, events)?)
                }
                _ => return None,
            };
            let n = r.u64()?;
            let mut findings = Vec::new();
            for _ in 0..n {
                let code = *Code::ALL.get(usize::try_from(r.u64()?).ok()?)?;
                let severity = if r.bool()? {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                let (message, file) = (r.str()?.to_string(), r.str()?.to_string());
                let pos = Pos {
                    line: usize::try_from(r.u64()?).ok()?,
                    column: usize::try_from(r.u64()?).ok()?,
                };
                let hint = r.opt()?;
                findings.push(Finding {
                    code,
                    severity,
                    message,
                    file,
                    pos,
                    hint,
                });
            }
            Some((record, findings))
        }
        _ => return None,
    };
    r.done().then_some(loaded)
}

fn kind_index(k: Kind) -> u8 {
    Kind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u8
}

pub(super) fn put_u64(w: &mut Vec<u8>, v: u64) {
    w.extend_from_slice(&v.to_le_bytes());
}

pub(super) fn put_str(w: &mut Vec<u8>, s: &str) {
    put_u64(w, s.len() as u64);
    w.extend_from_slice(s.as_bytes());
}

fn put_opt(w: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => w.push(0),
        Some(s) => {
            w.push(1);
            put_str(w, s);
        }
    }
}

/// Reads what the `put_*` functions wrote; every read is bounds-checked.
pub(super) struct Reader<'a> {
    pub(super) b: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Reader { b }
    }
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.b.len() {
            return None;
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }
    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    pub(super) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }
    pub(super) fn i64(&mut self) -> Option<i64> {
        Some(self.u64()? as i64)
    }
    pub(super) fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.str_bytes()?).ok()
    }
    /// A string's bytes, not checked to be UTF-8.
    pub(super) fn str_bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.bytes(n)
    }
    fn opt(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.str()?.to_string())),
            _ => None,
        }
    }
    fn kind(&mut self) -> Option<Kind> {
        Kind::ALL.get(usize::from(self.u8()?)).copied()
    }
    fn timestamp(&mut self) -> Option<jiff::Timestamp> {
        let secs = self.i64()?;
        let nanos = i32::try_from(self.i64()?).ok()?;
        jiff::Timestamp::new(secs, nanos).ok()
    }
    pub(super) fn done(&self) -> bool {
        self.b.is_empty()
    }
}
