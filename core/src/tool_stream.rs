//! The incremental reader of the `chart_commands` tool's arguments (`{"commands": [...]}`), for
//! tool calls that arrive as a stream of argument fragments.
//!
//! Owns: finding the top-level `commands` key, the boundaries of its array's elements, and the
//! issues about the arguments' structure (not JSON, no `commands` field, truncated, trailing
//! characters). Each complete element is decoded by [`crate::validate_element`], the step
//! [`crate::validate_commands`] runs per element, so the two cannot drift; and
//! [`crate::validate_tool_call`] is this reader fed the whole text at once, so a streamed answer and
//! a one-shot answer are the same.
//! Must not: decode a command itself, rescan what it already read, or buffer more than the current
//! element (at most [`MAX_COMMAND_TEXT`] bytes) and the current key (at most [`MAX_KEY_TEXT`]).
//!
//! It checks the object's own structure (keys, `:`, `,`, braces) byte by byte and each command's
//! text with [`crate::json::parse`]; the values of other keys are skipped by counting brackets
//! and strings only, so a syntax error inside them goes unreported (strict tool schemas allow no
//! other key). Fragments may split any token, escapes included: the scanner's state is per byte.

use crate::issue::{Issue, IssueCode, PathSegment, MAX_ISSUES};
use crate::legacy::Parsed;
use crate::validate::{at, MAX_TEXT_LEN};
use crate::MAX_COMMANDS;

/// Longest JSON text of one command the reader buffers, in bytes: room for a description of
/// [`MAX_TEXT_LEN`] bytes written with escapes. A longer command is a `too_long` error.
pub const MAX_COMMAND_TEXT: usize = 4 * MAX_TEXT_LEN;

/// Longest key text (quotes and escapes included) the reader keeps to compare with `commands`;
/// `"commands"` with every character written as `\uXXXX` is 50 bytes.
pub const MAX_KEY_TEXT: usize = 64;

/// What the value being scanned is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A key of the top-level object (kept, to compare with `commands`).
    Key,
    /// The value of another key (skipped, not kept).
    Skip,
    /// An element of the `commands` array (kept, decoded when complete).
    Item,
    /// A `commands` value that is not an array (kept, decoded as a list of one, as
    /// `validate_commands` does).
    Whole,
}

/// Where the scanner is in the arguments' text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the top-level object.
    Start,
    /// Before a key: after `{` (`first`, where `}` may close the object) or after `,`.
    Key { first: bool },
    /// After a key, before `:`.
    Colon,
    /// After `:`, before the value.
    Value,
    /// Inside a value.
    In(Role),
    /// After a value of the object, before `,` or `}`.
    AfterValue,
    /// Before an element of the `commands` array: after `[` (`first`) or after `,`.
    Item { first: bool },
    /// After an element, before `,` or `]`.
    AfterItem,
    /// After the object: only whitespace may follow.
    End,
    /// The structure is broken (already reported); the rest is ignored.
    Failed,
}

/// Reads the `chart_commands` tool's arguments fragment by fragment and yields each command as
/// soon as its array element is complete. Pure and total: any fragments give commands and issues,
/// never a panic; each byte is looked at once.
#[derive(Debug)]
pub struct ToolCallReader {
    state: State,
    /// Bytes read so far (for messages).
    pos: usize,
    /// The current value's open brackets, whether it is inside a string (and just after a
    /// backslash there), and whether it is a bare scalar (ended by the byte after it).
    depth: usize,
    string: bool,
    escape: bool,
    scalar: bool,
    /// The current key or command's text; emptied (and `overflow` set) past its bound.
    buf: Vec<u8>,
    overflow: bool,
    /// Whether the last key read is `commands`, and whether a `commands` value was seen.
    key_is_commands: bool,
    seen_commands: bool,
    /// Elements of the `commands` array started so far.
    items: usize,
    /// The issue cap across the whole call (as `issue::cap_issues` applies it to a one-shot
    /// answer): issues handed out so far, and the ones held back past `MAX_ISSUES - 1` (only the
    /// first is kept, in case it turns out to be the last).
    issued: usize,
    held_first: Option<Issue>,
    held: usize,
    held_error: bool,
}

impl Default for ToolCallReader {
    fn default() -> Self {
        ToolCallReader::new()
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Appends `more` to `into`.
pub(crate) fn extend(into: &mut Parsed, more: Parsed) {
    into.commands.extend(more.commands);
    into.issues.extend(more.issues);
}

impl ToolCallReader {
    /// A reader at the start of the arguments.
    pub fn new() -> ToolCallReader {
        ToolCallReader {
            state: State::Start,
            pos: 0,
            depth: 0,
            string: false,
            escape: false,
            scalar: false,
            buf: Vec::new(),
            overflow: false,
            key_is_commands: false,
            seen_commands: false,
            items: 0,
            issued: 0,
            held_first: None,
            held: 0,
            held_error: false,
        }
    }

    /// Lets through the issues that fit under the call's cap and holds back the rest.
    fn gate(&mut self, issues: Vec<Issue>) -> Vec<Issue> {
        let mut out = Vec::new();
        for i in issues {
            if self.issued < MAX_ISSUES - 1 {
                self.issued += 1;
                out.push(i);
            } else {
                self.held += 1;
                self.held_error |= i.is_error();
                if self.held_first.is_none() {
                    self.held_first = Some(i);
                }
            }
        }
        out
    }

    /// Feeds the next fragment; returns the commands it completed (validated as by
    /// `validate_commands`, issue paths starting with the command's index) and their issues.
    pub fn push(&mut self, fragment: &str) -> Parsed {
        let mut out = Parsed::default();
        for &b in fragment.as_bytes() {
            // A scalar ends at the byte after it, which the next state reads again.
            while !self.step(b, &mut out) {}
            self.pos += 1;
        }
        out.issues = self.gate(std::mem::take(&mut out.issues));
        out
    }

    /// Ends the arguments: an issue for whatever was left incomplete (a truncated command at its
    /// index, else at `["arguments"]`), or `missing_field` when the object had no `commands`.
    pub fn finish(self) -> Parsed {
        let mut out = Parsed::default();
        let in_list = matches!(
            self.state,
            State::Item { .. } | State::AfterItem | State::In(Role::Item)
        );
        if in_list && self.items > MAX_COMMANDS {
            out.issues.push(crate::too_many_commands(self.items));
        }
        match self.state {
            State::Failed => {}
            State::End if self.seen_commands => {}
            State::End => out.issues.push(at(
                &["arguments", "commands"],
                IssueCode::MissingField,
                "arguments have no commands field",
            )),
            State::In(Role::Item) if self.items <= MAX_COMMANDS => out.issues.push(Issue::error(
                IssueCode::InvalidType,
                vec![PathSegment::Index(self.items - 1)],
                "the arguments end inside this command",
            )),
            _ => out
                .issues
                .push(self.broken("they end before the object is closed")),
        }
        let mut this = self;
        out.issues = this.gate(std::mem::take(&mut out.issues));
        match (this.held, this.held_first) {
            (0, _) | (_, None) => {}
            // Exactly one over the released ones: it fits the cap after all.
            (1, Some(only)) => out.issues.push(only),
            (n, Some(_)) => {
                let message = format!("{n} more issues not shown");
                out.issues.push(if this.held_error {
                    Issue::error(IssueCode::TooManyIssues, vec![], message)
                } else {
                    Issue::warning(IssueCode::TooManyIssues, vec![], message)
                });
            }
        }
        out
    }

    fn broken(&self, what: &str) -> Issue {
        at(
            &["arguments"],
            IssueCode::InvalidType,
            format!("arguments are not JSON: {what} (byte {})", self.pos),
        )
    }

    fn fail(&mut self, what: &str, out: &mut Parsed) {
        out.issues.push(self.broken(what));
        self.state = State::Failed;
        self.buf = Vec::new();
    }

    /// Starts a value of `role` whose first byte is `b`.
    fn start(&mut self, role: Role, b: u8) {
        self.state = State::In(role);
        self.depth = usize::from(matches!(b, b'{' | b'['));
        self.string = b == b'"';
        self.escape = false;
        self.scalar = self.depth == 0 && !self.string;
        self.buf.clear();
        self.overflow = false;
        if role == Role::Item {
            self.items += 1;
        }
        self.keep(role, b);
    }

    fn keep(&mut self, role: Role, b: u8) {
        let bound = match role {
            Role::Skip => return,
            Role::Item if self.items > MAX_COMMANDS => return,
            Role::Key => MAX_KEY_TEXT,
            Role::Item | Role::Whole => MAX_COMMAND_TEXT,
        };
        if self.buf.len() >= bound {
            self.overflow = true;
            self.buf = Vec::new();
        }
        if !self.overflow {
            self.buf.push(b);
        }
    }

    /// Reads one byte; `false` when it must be read again in the new state (the end of a scalar).
    fn step(&mut self, b: u8, out: &mut Parsed) -> bool {
        let value_start = !matches!(b, b',' | b':' | b']' | b'}');
        match self.state {
            State::Failed => {}
            State::In(role) => return self.scan(role, b, out),
            _ if is_ws(b) => {}
            State::Start if b == b'{' => self.state = State::Key { first: true },
            State::Start => self.fail("they are not an object", out),
            State::Key { .. } if b == b'"' => self.start(Role::Key, b),
            State::Key { first: true } if b == b'}' => self.state = State::End,
            State::Key { .. } => self.fail("expected a key", out),
            State::Colon if b == b':' => self.state = State::Value,
            State::Colon => self.fail("expected `:`", out),
            State::Value if !value_start => self.fail("expected a value", out),
            State::Value if self.key_is_commands && !self.seen_commands => {
                self.seen_commands = true;
                if b == b'[' {
                    self.state = State::Item { first: true };
                } else {
                    self.start(Role::Whole, b);
                }
            }
            State::Value => {
                if self.key_is_commands {
                    out.issues.push(at(
                        &["arguments", "commands"],
                        IssueCode::InvalidType,
                        "a second commands field is ignored",
                    ));
                }
                self.start(Role::Skip, b);
            }
            State::AfterValue if b == b',' => self.state = State::Key { first: false },
            State::AfterValue if b == b'}' => self.state = State::End,
            State::AfterValue => self.fail("expected `,` or `}`", out),
            State::Item { first: true } if b == b']' => self.state = State::AfterValue,
            State::Item { .. } if value_start => self.start(Role::Item, b),
            State::Item { .. } => self.fail("expected a command", out),
            State::AfterItem if b == b',' => self.state = State::Item { first: false },
            State::AfterItem if b == b']' => {
                if self.items > MAX_COMMANDS {
                    out.issues.push(crate::too_many_commands(self.items));
                }
                self.state = State::AfterValue;
            }
            State::AfterItem => self.fail("expected `,` or `]`", out),
            State::End => self.fail("trailing characters after the object", out),
        }
        true
    }

    /// Reads one byte of a value of `role`.
    fn scan(&mut self, role: Role, b: u8, out: &mut Parsed) -> bool {
        if self.scalar {
            if !matches!(b, b',' | b']' | b'}') && !is_ws(b) {
                self.keep(role, b);
                return true;
            }
            self.done(role, out);
            return false;
        }
        self.keep(role, b);
        if self.string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.string = false;
            }
        } else {
            match b {
                b'"' => self.string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        if self.depth == 0 && !self.string {
            self.done(role, out);
        }
        true
    }

    /// The value of `role` just ended.
    fn done(&mut self, role: Role, out: &mut Parsed) {
        self.state = match role {
            Role::Key => {
                let key = std::str::from_utf8(&self.buf)
                    .ok()
                    .filter(|_| !self.overflow)
                    .map(crate::json::parse);
                if let Some(Err(_)) = key {
                    return self.fail("a key is not a JSON string", out);
                }
                self.key_is_commands =
                    matches!(key, Some(Ok(serde_json::Value::String(k))) if k == "commands");
                State::Colon
            }
            Role::Skip => State::AfterValue,
            Role::Item => {
                self.decode(self.items - 1, out);
                State::AfterItem
            }
            Role::Whole => {
                self.decode(0, out);
                State::AfterValue
            }
        };
        self.buf.clear();
    }

    /// Decodes the kept text of the `index`th command.
    fn decode(&self, index: usize, out: &mut Parsed) {
        if index >= MAX_COMMANDS {
            return;
        }
        let problem = if self.overflow {
            (
                IssueCode::TooLong,
                format!("command is over {MAX_COMMAND_TEXT} bytes of JSON; dropped"),
            )
        } else {
            match std::str::from_utf8(&self.buf).map(crate::json::parse) {
                Ok(Ok(v)) => return crate::validate_element(index, &v, out),
                Ok(Err(e)) => (IssueCode::InvalidType, format!("command is not JSON: {e}")),
                Err(_) => (IssueCode::InvalidType, "command is not UTF-8".to_owned()),
            }
        };
        out.issues.push(Issue::error(
            problem.0,
            vec![PathSegment::Index(index)],
            problem.1,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate_tool_call;

    fn whole(text: &str) -> Parsed {
        validate_tool_call(crate::schema::TOOL_NAME, text)
    }

    fn summary(p: &Parsed) -> (Vec<String>, Vec<String>) {
        (
            p.commands.iter().map(|c| c.legacy().to_owned()).collect(),
            p.issues
                .iter()
                .map(|i| format!("{} {}", i.code, serde_json::json!(i.path)))
                .collect(),
        )
    }

    /// Each byte as its own fragment, with what each push returned.
    fn bytewise(text: &str) -> (Vec<Parsed>, Parsed) {
        let mut r = ToolCallReader::new();
        let pushed = text
            .char_indices()
            .map(|(i, c)| r.push(&text[i..i + c.len_utf8()]))
            .collect();
        (pushed, r.finish())
    }

    #[test]
    fn each_command_is_yielded_by_the_fragment_that_completes_it() {
        let mut r = ToolCallReader::new();
        let a = r.push(r#"{"commands": [{"type":"load","payload":{"symbol":"tsla"}"#);
        assert!(a.commands.is_empty() && a.issues.is_empty());
        let b = r.push(r#"}, {"type":"zoom","payload":{"direction":"in"}}, {"ty"#);
        assert_eq!(summary(&b).0, ["LOAD:TSLA", "ZOOM:IN"]);
        let c = r.push(r#"pe":"nope"}]}"#);
        assert_eq!(
            summary(&c),
            (
                vec![],
                vec![r#"unknown_command_type [2,"type"]"#.to_owned()]
            )
        );
        assert!(r.finish().issues.is_empty());
    }

    #[test]
    fn keys_escapes_and_strings_split_anywhere_read_the_same() {
        let texts = [
            r#"{"note":"a } ] \" [ {","n":[1,{"x":"]"}],"comm\u0061nds":[{"type":"load","payload":{"symbol":"\u0074sla"},"description":"caf\u00e9 \"q\" {[]}"}],"after":true}"#,
            " \n{ \"commands\" :\t[ \"x\" , {\"type\" : \"reset\", \"payload\":{\"target\":\"view\"}} ] } \r\n",
            r#"{"commands":{"type":"load","payload":{"symbol":"BRK.B"}}}"#,
            r#"{"commands":"LOAD:TSLA"}"#,
            r#"{"commands":12}"#,
            r#"{"commands":[1,true,null,[]]}"#,
            r#"{"commands":[],"commands":[{"type":"load","payload":{"symbol":"AA"}}]}"#,
            r#"{"commands":[{"type":"load",}]}"#,
            r#"{"a":1,}"#,
            r#"[{"commands":[]}]"#,
            "",
            "{}",
            r#"{"commands":[{"description":"é€𝄞"#,
        ];
        for text in texts {
            let one = whole(text);
            let (pushed, finished) = bytewise(text);
            let mut all = Parsed::default();
            pushed.into_iter().for_each(|p| extend(&mut all, p));
            extend(&mut all, finished);
            assert_eq!(all, one, "{text}");
        }
        let p = whole(texts[0]);
        assert_eq!(summary(&p).0, ["LOAD:TSLA"]);
        assert_eq!(p.commands[0].description(), Some("café \"q\" {[]}"));
        assert_eq!(summary(&whole(texts[1])).0, ["RESET:VIEW"]);
        assert_eq!(summary(&whole(texts[2])).0, ["LOAD:BRK.B"]);
        assert_eq!(
            summary(&whole(texts[4])).1,
            [r#"invalid_type [0]"#.to_owned()]
        );
        assert_eq!(summary(&whole(texts[5])).1.len(), 4);
        // The first `commands` wins (it was yielded already); the second is reported.
        assert_eq!(
            summary(&whole(texts[6])),
            (
                vec![],
                vec![r#"invalid_type ["arguments","commands"]"#.to_owned()]
            )
        );
        assert_eq!(
            summary(&whole(texts[7])).1,
            [r#"invalid_type [0]"#.to_owned()]
        );
        for broken in [texts[8], texts[9], texts[10]] {
            assert_eq!(
                summary(&whole(broken)),
                (vec![], vec![r#"invalid_type ["arguments"]"#.to_owned()]),
                "{broken}"
            );
        }
        assert_eq!(
            summary(&whole(texts[11])).1,
            [r#"missing_field ["arguments","commands"]"#.to_owned()]
        );
        assert_eq!(
            summary(&whole(texts[12])).1,
            [r#"invalid_type [0]"#.to_owned()]
        );
    }

    #[test]
    fn an_oversized_command_is_too_long_and_the_buffer_stays_bounded() {
        let mut r = ToolCallReader::new();
        let mut out =
            r.push(r#"{"commands":[{"type":"load","payload":{"symbol":"A"},"description":""#);
        let chunk = "x".repeat(4096);
        for _ in 0..(2 * MAX_COMMAND_TEXT / chunk.len()) {
            extend(&mut out, r.push(&chunk));
            assert!(r.buf.capacity() <= MAX_COMMAND_TEXT);
        }
        extend(
            &mut out,
            r.push(r#""},{"type":"zoom","payload":{"direction":"out"}}]}"#),
        );
        extend(&mut out, r.finish());
        assert_eq!(
            summary(&out),
            (vec!["ZOOM:OUT".to_owned()], vec!["too_long [0]".to_owned()])
        );
    }

    #[test]
    fn commands_past_the_cap_are_counted_not_kept() {
        let item = r#"{"type":"zoom","payload":{"direction":"in"}}"#;
        let list = vec![item; MAX_COMMANDS + 3].join(",");
        let full = whole(&format!(r#"{{"commands":[{list}]}}"#));
        assert_eq!(full.commands.len(), MAX_COMMANDS);
        assert_eq!(summary(&full).1, [r#"too_many_commands []"#.to_owned()]);
        let cut = whole(&format!(r#"{{"commands":[{list},{{"#));
        assert_eq!(cut.commands.len(), MAX_COMMANDS);
        assert_eq!(
            summary(&cut).1,
            [
                r#"too_many_commands []"#.to_owned(),
                r#"invalid_type ["arguments"]"#.to_owned()
            ]
        );
    }
}
