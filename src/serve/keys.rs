//! Key presses from the bytes an SSH client sends (crossterm reads only its own process's
//! terminal). A key's bytes may arrive split across packets, so an unfinished sequence is
//! kept for the next ones; a lone Esc is only known to be Esc once nothing follows it for a
//! moment ([`KeyParser::flush`]). A bracketed paste is text: its characters, never its
//! line ends, so a paste never submits a form.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The longest unfinished escape sequence kept; anything longer is noise and dropped.
const MAX_SEQUENCE: usize = 32;
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

#[derive(Debug, Default)]
pub struct KeyParser {
    pending: Vec<u8>,
    in_paste: bool,
}

/// What the first bytes of the input make.
enum Step {
    Key(KeyEvent, usize),
    /// Bytes that make no key (an unknown sequence, a mouse report).
    Skip(usize),
    /// The bytes so far may still become a key.
    Incomplete,
}

impl KeyParser {
    /// The keys these bytes complete; an unfinished key waits for more bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<KeyEvent> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            let rest = &self.pending[at..];
            if self.in_paste {
                let (text, used, ended) = paste_text(rest);
                keys.extend(text.chars().filter(|c| !c.is_control()).map(plain));
                at += used;
                self.in_paste = !ended;
                if !ended {
                    break;
                }
                continue;
            }
            if rest.starts_with(PASTE_START) {
                self.in_paste = true;
                at += PASTE_START.len();
                continue;
            }
            match step(rest) {
                Step::Key(key, used) => {
                    keys.push(key);
                    at += used;
                }
                Step::Skip(used) => at += used,
                Step::Incomplete if rest.len() > MAX_SEQUENCE => at = self.pending.len(),
                Step::Incomplete => break,
            }
        }
        self.pending.drain(..at);
        keys
    }

    /// Whether bytes wait for more (then a pause means they were typed as they are).
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty() && !self.in_paste
    }

    /// After a pause: a lone Esc is Esc, Esc and a key that never finished is Esc.
    pub fn flush(&mut self) -> Vec<KeyEvent> {
        if self.in_paste || self.pending.is_empty() {
            return Vec::new();
        }
        let rest: Vec<u8> = self.pending.drain(..).collect();
        if rest[0] != 0x1b {
            return Vec::new(); // half a character that never finished
        }
        let mut keys = vec![plain_code(KeyCode::Esc)];
        keys.extend(self.feed(&rest[1..]));
        keys
    }
}

/// The pasted text before the paste's end (or all of it), the bytes used, and whether it
/// ended. A split end marker is left for the next bytes.
fn paste_text(bytes: &[u8]) -> (String, usize, bool) {
    if let Some(end) = find(bytes, PASTE_END) {
        let text = String::from_utf8_lossy(&bytes[..end]).into_owned();
        return (text, end + PASTE_END.len(), true);
    }
    let keep = (1..PASTE_END.len())
        .rev()
        .find(|&n| bytes.ends_with(&PASTE_END[..n]))
        .unwrap_or(0);
    let mut cut = bytes.len() - keep;
    while cut > 0 && std::str::from_utf8(&bytes[..cut]).is_err() && bytes.len() - cut < 4 {
        cut -= 1;
    }
    (
        String::from_utf8_lossy(&bytes[..cut]).into_owned(),
        cut,
        false,
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn plain(c: char) -> KeyEvent {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

fn plain_code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn step(bytes: &[u8]) -> Step {
    let key = |code, used| Step::Key(plain_code(code), used);
    let ctrl = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    match bytes[0] {
        0x1b => escape(bytes),
        b'\r' | b'\n' => key(KeyCode::Enter, 1),
        b'\t' => key(KeyCode::Tab, 1),
        0x7f | 0x08 => key(KeyCode::Backspace, 1),
        0x00 => Step::Key(ctrl(' '), 1),
        b @ 0x01..=0x1a => Step::Key(ctrl(char::from(b'a' + b - 1)), 1),
        b @ 0x1c..=0x1f => Step::Key(ctrl(char::from(b'4' + b - 0x1c)), 1),
        _ => utf8(bytes),
    }
}

fn utf8(bytes: &[u8]) -> Step {
    let width = match bytes[0] {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return Step::Skip(1),
    };
    if bytes.len() < width {
        return Step::Incomplete;
    }
    match std::str::from_utf8(&bytes[..width])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => Step::Key(plain(c), width),
        None => Step::Skip(1),
    }
}

fn escape(bytes: &[u8]) -> Step {
    match bytes.get(1) {
        None => Step::Incomplete,
        Some(b'[') => csi(bytes),
        Some(b'O') => match bytes.get(2) {
            None => Step::Incomplete,
            Some(&last) => final_key(last, 1, KeyModifiers::NONE)
                .map_or(Step::Skip(3), |key| Step::Key(key, 3)),
        },
        Some(0x1b) => Step::Key(plain_code(KeyCode::Esc), 1),
        // Esc before a key is Alt with it, as terminals send it.
        Some(_) => match step(&bytes[1..]) {
            Step::Key(mut key, used) => {
                key.modifiers |= KeyModifiers::ALT;
                Step::Key(key, used + 1)
            }
            Step::Skip(used) => Step::Skip(used + 1),
            Step::Incomplete => Step::Incomplete,
        },
    }
}

/// `Esc [ params final`: cursor keys, Home/End, F-keys, with xterm's modifier parameter.
fn csi(bytes: &[u8]) -> Step {
    let Some(end) = bytes[2..].iter().position(|b| (0x40..=0x7e).contains(b)) else {
        return Step::Incomplete;
    };
    let used = end + 3;
    let params: Vec<u16> = std::str::from_utf8(&bytes[2..end + 2])
        .unwrap_or("")
        .split(';')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    let number = params.first().copied().unwrap_or(0);
    let modifiers = modifiers(params.get(1).copied().unwrap_or(1));
    let last = bytes[end + 2];
    let key = if last == b'~' {
        tilde_key(number).map(|code| KeyEvent::new(code, modifiers))
    } else {
        final_key(last, number, modifiers)
    };
    key.map_or(Step::Skip(used), |key| Step::Key(key, used))
}

/// xterm's modifier parameter: 1 + (1 Shift, 2 Alt, 4 Ctrl).
fn modifiers(param: u16) -> KeyModifiers {
    let bits = param.saturating_sub(1);
    let mut modifiers = KeyModifiers::NONE;
    for (bit, modifier) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
    ] {
        if bits & bit != 0 {
            modifiers |= modifier;
        }
    }
    modifiers
}

fn final_key(last: u8, number: u16, modifiers: KeyModifiers) -> Option<KeyEvent> {
    let code = match last {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'Z' => return Some(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        // F1–F4; a cursor position report ("24;80R") is not F3.
        b'P' | b'Q' | b'R' | b'S' if number <= 1 => KeyCode::F(last - b'P' + 1),
        _ => return None,
    };
    Some(KeyEvent::new(code, modifiers))
}

fn tilde_key(number: u16) -> Option<KeyCode> {
    Some(match number {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        11..=15 => KeyCode::F((number - 10) as u8),
        17..=21 => KeyCode::F((number - 11) as u8),
        23 | 24 => KeyCode::F((number - 12) as u8),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(keys: Vec<KeyEvent>) -> Vec<(KeyCode, KeyModifiers)> {
        keys.into_iter().map(|k| (k.code, k.modifiers)).collect()
    }

    fn parse(bytes: &[u8]) -> Vec<(KeyCode, KeyModifiers)> {
        codes(KeyParser::default().feed(bytes))
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;

    #[test]
    fn letters_controls_and_utf8_are_keys() {
        assert_eq!(
            parse("aB\r\t\x7f\x03é".as_bytes()),
            [
                (KeyCode::Char('a'), NONE),
                (KeyCode::Char('B'), KeyModifiers::SHIFT),
                (KeyCode::Enter, NONE),
                (KeyCode::Tab, NONE),
                (KeyCode::Backspace, NONE),
                (KeyCode::Char('c'), KeyModifiers::CONTROL),
                (KeyCode::Char('é'), NONE),
            ]
        );
    }

    #[test]
    fn cursor_and_function_keys_in_both_forms() {
        assert_eq!(
            parse(b"\x1b[A\x1bOB\x1b[5~\x1b[6~\x1bOP\x1b[15~\x1b[24~\x1b[Z\x1b[1;5C\x1b[3~"),
            [
                (KeyCode::Up, NONE),
                (KeyCode::Down, NONE),
                (KeyCode::PageUp, NONE),
                (KeyCode::PageDown, NONE),
                (KeyCode::F(1), NONE),
                (KeyCode::F(5), NONE),
                (KeyCode::F(12), NONE),
                (KeyCode::BackTab, KeyModifiers::SHIFT),
                (KeyCode::Right, KeyModifiers::CONTROL),
                (KeyCode::Delete, NONE),
            ]
        );
    }

    #[test]
    fn a_key_split_across_packets_waits_for_its_end() {
        let mut parser = KeyParser::default();
        assert!(parser.feed(b"\x1b[").is_empty());
        assert!(parser.waiting());
        assert!(parser.feed(b"1").is_empty());
        assert_eq!(codes(parser.feed(b"2~")), [(KeyCode::F(2), NONE)]);
        assert!(parser.feed(&"é".as_bytes()[..1]).is_empty());
        assert_eq!(
            codes(parser.feed(&"é".as_bytes()[1..])),
            [(KeyCode::Char('é'), NONE)]
        );
        assert!(!parser.waiting());
    }

    #[test]
    fn a_lone_esc_is_esc_after_a_pause_and_esc_with_a_key_is_alt() {
        let mut parser = KeyParser::default();
        assert!(parser.feed(b"\x1b").is_empty());
        assert_eq!(codes(parser.flush()), [(KeyCode::Esc, NONE)]);
        assert_eq!(parse(b"\x1bx"), [(KeyCode::Char('x'), KeyModifiers::ALT)]);
        assert_eq!(
            parse(b"\x1b\x1b[B"),
            [(KeyCode::Esc, NONE), (KeyCode::Down, NONE)]
        );
    }

    #[test]
    fn a_paste_is_its_text_without_line_ends_even_split() {
        let mut parser = KeyParser::default();
        let mut keys = parser.feed(b"\x1b[200~ab\r\nc\x1b[2");
        keys.extend(parser.feed(b"01~d"));
        assert_eq!(
            codes(keys),
            [
                (KeyCode::Char('a'), NONE),
                (KeyCode::Char('b'), NONE),
                (KeyCode::Char('c'), NONE),
                (KeyCode::Char('d'), NONE),
            ]
        );
    }

    #[test]
    fn noise_is_dropped_and_never_stops_the_keys_after_it() {
        // A mouse report, a cursor position report, an endless sequence, a stray byte.
        let mut bytes = b"\x1b[<0;3;4M\x1b[24;80R\xffq".to_vec();
        assert_eq!(parse(&bytes), [(KeyCode::Char('q'), NONE)]);
        bytes = b"\x1b[".to_vec();
        bytes.extend([b'1'; 40]);
        let mut parser = KeyParser::default();
        assert!(parser.feed(&bytes).is_empty());
        assert_eq!(codes(parser.feed(b"z")), [(KeyCode::Char('z'), NONE)]);
    }
}
