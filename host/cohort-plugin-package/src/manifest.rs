//! The plugin manifest (`manifest.toml`): what a plugin is, what data it reads or emits, which segments it emits,
//! the JSON Schema of its configuration and the limits it asks for.
//!
//! [`Manifest::parse`] reads the TOML (unknown keys refused), then checks every rule and reports every problem at
//! once, each with its TOML key path and line. A [`Manifest`] exists only after every check passed; its compiled
//! configuration schema validates configurations with [`Manifest::validate_config`].
//!
//! Rules, by key:
//! - `plugin.id`, `plugin.publisher`: `[a-z][a-z0-9-]*`, at most 64 characters (the policy's plugin names);
//! - `plugin.version`: SemVer 2.0.0; `plugin.kind`: `connector` or `segmenter`;
//! - `plugin.interface`: one of [`SUPPORTED_INTERFACES`]; `plugin.description`: non-empty, at most 1000 characters;
//! - a segmenter has `[data]` (with at least one purpose) and at least one `[[segments]]`, and no `[output]`;
//! - a connector has `[output]` (with at least one identifier kind), and neither `[data]` nor `[[segments]]`;
//! - names in `[data]` and `[output]` are snake_case and not repeated; segment ids are unique;
//! - `config.schema` is JSON and compiles as a JSON Schema (no remote references: nothing is fetched);
//! - every `[limits]` request is between 1 and the host maximum (see [`crate::limits`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ManifestProblem, PackageError, PluginRef};
use crate::limits::{LimitRequests, Limits};
use crate::locate::{KeyPath, Located, line_at};
use crate::names;

/// Interface versions (WIT packages) this host runs; a later release adds `cohort:plugin@0.2.0` beside it.
pub const SUPPORTED_INTERFACES: &[&str] = &["cohort:plugin@0.1.0", "cohort:plugin@0.2.0"];

/// Largest manifest, in bytes. A manifest is a page of TOML; 64 KiB leaves room for a large configuration schema
/// and bounds the parse before anything else looks at the text.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// Longest description (plugin or segment), in characters; the same bound as free text in the policy schema.
const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most names in one list of `[data]` or `[output]`, and most segments. A policy's vocabulary is tens of names;
/// the bound keeps a hostile manifest from making the host check millions.
const MAX_LIST_ITEMS: usize = 256;
/// Most configuration errors reported for one configuration; the first ones say enough.
const MAX_CONFIG_ERRORS: usize = 20;
/// The configuration schema used when a manifest has no `[config]`: the plugin takes no settings, so its only
/// valid configuration is an empty object.
const NO_CONFIG_SCHEMA: &str = r#"{"type": "object", "additionalProperties": false}"#;
/// Stands in for the plugin id in errors when the manifest is too broken to say it.
const UNKNOWN_PLUGIN: &str = "(unknown)";

/// What kind of plugin this is, which decides the WIT world it must implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    /// Turns export files into canonical records (world `connector-plugin`).
    Connector,
    /// Assigns profiles to segments (world `segmenter-plugin`).
    Segmenter,
}

impl PluginKind {
    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Connector => "connector",
            PluginKind::Segmenter => "segmenter",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A segmenter's `[data]` section: what it reads and what it is designed for. The host projects profiles to the
/// intersection of these names with what the run's purpose allows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataNeeds {
    /// Stored attribute names it reads.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Event types it reads.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Purposes it is designed for; the policy must also allow it for a purpose before it runs for it.
    #[serde(default)]
    pub purposes: Vec<String>,
}

/// A connector's `[output]` section: everything it may emit. The host checks every record against it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputDecl {
    /// Identifier kinds it may emit.
    #[serde(default)]
    pub identifiers: Vec<String>,
    /// Attribute names it may emit.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Event types it may emit.
    #[serde(default)]
    pub event_types: Vec<String>,
}

impl OutputDecl {
    /// Checks that a connector's record uses only the identifier kinds, attributes and event types this
    /// declaration lists. The message names the field, never its value.
    pub fn check_record(&self, record: &Value) -> Result<(), String> {
        let listed = |list: &[String], name: &str| list.iter().any(|l| l == name);
        if let Some(ids) = record.get("identifiers").and_then(Value::as_object) {
            for kind in ids.keys() {
                if !listed(&self.identifiers, kind) {
                    return Err(format!(
                        "identifiers.{kind}: identifier kind not declared in the manifest's [output]"
                    ));
                }
            }
        }
        if let Some(attrs) = record.get("attributes").and_then(Value::as_object) {
            for name in attrs.keys() {
                if !listed(&self.attributes, name) {
                    return Err(format!(
                        "attributes.{name}: attribute not declared in the manifest's [output]"
                    ));
                }
            }
        }
        if let Some(events) = record.get("events").and_then(Value::as_array) {
            for (i, e) in events.iter().enumerate() {
                let t = e.get("type").and_then(Value::as_str).unwrap_or_default();
                if !listed(&self.event_types, t) {
                    return Err(format!(
                        "events[{i}].type: event type `{t}` not declared in the manifest's [output]"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One `[[segments]]` entry: a segment a segmenter may emit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDecl {
    /// Segment id, `[a-z][a-z0-9_-]*`, unique within the manifest.
    pub id: String,
    /// What membership means, in words a marketer or an auditor understands.
    pub description: String,
}

/// The manifest as written, before any rule is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestDoc {
    plugin: PluginDoc,
    #[serde(default)]
    data: Option<DataNeeds>,
    #[serde(default)]
    output: Option<OutputDecl>,
    #[serde(default)]
    segments: Option<Vec<SegmentDecl>>,
    #[serde(default)]
    config: Option<ConfigDoc>,
    #[serde(default)]
    limits: LimitRequests,
}

/// `[plugin]` as written; text fields stay strings so that every bad one is reported, not only the first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginDoc {
    id: String,
    version: String,
    kind: String,
    interface: String,
    publisher: String,
    description: String,
}

/// `[config]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigDoc {
    schema: String,
}

/// A checked plugin manifest.
///
/// Built only by [`Manifest::parse`], after every rule in the module documentation passed.
#[derive(Clone, Debug)]
pub struct Manifest {
    id: String,
    version: String,
    kind: PluginKind,
    interface: String,
    publisher: String,
    description: String,
    data: Option<DataNeeds>,
    output: Option<OutputDecl>,
    segments: Vec<SegmentDecl>,
    config_schema: String,
    config_validator: jsonschema::Validator,
    limits: LimitRequests,
}

impl Manifest {
    /// Parses and checks manifest text, reporting every problem with its key path and line.
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(PackageError::TooLarge {
                what: "manifest",
                len: text.len(),
                max: MAX_MANIFEST_BYTES,
            });
        }
        let located = Located::parse(text).map_err(|e| {
            let line = e.span().map(|span| line_at(text, span.start));
            invalid(
                UNKNOWN_PLUGIN,
                vec![ManifestProblem {
                    path: String::new(),
                    line,
                    message: format!("not valid TOML: {}", e.message().trim_end()),
                }],
            )
        })?;
        let doc: ManifestDoc = toml::from_str(text).map_err(|e| {
            let path = e
                .span()
                .map(|span| located.path_at(span.start))
                .unwrap_or_default();
            let line = located
                .line_of(&path)
                .or_else(|| e.span().map(|span| line_at(text, span.start)));
            invalid(
                &plugin_id_of(&located),
                vec![ManifestProblem {
                    path: path.to_string(),
                    line,
                    message: e.message().trim_end().to_owned(),
                }],
            )
        })?;
        let mut check = Checker::default();
        let kind = check.plugin(&doc.plugin);
        if let Some(kind) = kind {
            check.kind_sections(kind, &doc);
        }
        if let Some(data) = &doc.data {
            check.data(data);
        }
        if let Some(output) = &doc.output {
            check.output(output);
        }
        if let Some(segments) = &doc.segments {
            check.segments(segments);
        }
        let config_schema = doc
            .config
            .as_ref()
            .map_or(NO_CONFIG_SCHEMA, |c| c.schema.as_str());
        let config_validator = check.config_schema(config_schema);
        let limits = KeyPath::root().key("limits");
        for (key, message) in doc.limits.problems() {
            check.problem(limits.key(key), message);
        }

        match (kind, config_validator) {
            (Some(kind), Some(config_validator)) if check.problems.is_empty() => Ok(Self {
                id: doc.plugin.id,
                version: doc.plugin.version,
                kind,
                interface: doc.plugin.interface,
                publisher: doc.plugin.publisher,
                description: doc.plugin.description,
                data: doc.data,
                output: doc.output,
                segments: doc.segments.unwrap_or_default(),
                config_schema: config_schema.to_owned(),
                config_validator,
                limits: doc.limits,
            }),
            _ => {
                let problems = check
                    .problems
                    .into_iter()
                    .map(|(path, message)| ManifestProblem {
                        line: located.line_of(&path),
                        path: path.to_string(),
                        message,
                    })
                    .collect();
                Err(invalid(&doc.plugin.id, problems))
            }
        }
    }

    /// The plugin id (`plugin.id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The plugin version (`plugin.version`), a SemVer version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Connector or segmenter.
    pub fn kind(&self) -> PluginKind {
        self.kind
    }

    /// The WIT interface version it implements, one of [`SUPPORTED_INTERFACES`].
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The publisher that must sign its packages (`plugin.publisher`).
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// What the plugin does.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// A segmenter's `[data]`; `None` for a connector.
    pub fn data(&self) -> Option<&DataNeeds> {
        self.data.as_ref()
    }

    /// A connector's `[output]`; `None` for a segmenter.
    pub fn output(&self) -> Option<&OutputDecl> {
        self.output.as_ref()
    }

    /// The segments a segmenter may emit; empty for a connector.
    pub fn segments(&self) -> &[SegmentDecl] {
        &self.segments
    }

    /// True when the manifest declares a segment with this id.
    pub fn declares_segment(&self, id: &str) -> bool {
        self.segments.iter().any(|s| s.id == id)
    }

    /// The configuration JSON Schema text (the default one when the manifest has no `[config]`).
    pub fn config_schema(&self) -> &str {
        &self.config_schema
    }

    /// The `[limits]` requests as written.
    pub fn limit_requests(&self) -> &LimitRequests {
        &self.limits
    }

    /// The limits the sandbox applies: the requests, or the host defaults where absent.
    pub fn effective_limits(&self) -> Limits {
        self.limits.effective()
    }

    /// The plugin's id and version, for errors.
    pub(crate) fn plugin_ref(&self) -> Box<PluginRef> {
        Box::new(PluginRef {
            id: self.id.clone(),
            version: self.version.clone(),
        })
    }

    /// Checks a configuration against the manifest's schema; each error names the JSON pointer of the value.
    pub fn validate_config(&self, config: &Value) -> Result<(), Vec<String>> {
        let errors: Vec<String> = self
            .config_validator
            .iter_errors(config)
            .take(MAX_CONFIG_ERRORS)
            .map(|error| {
                let at = error.instance_path().as_str().to_owned();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                format!("configuration of plugin `{}` at `{at}`: {error}", self.id)
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn invalid(plugin: &str, problems: Vec<ManifestProblem>) -> PackageError {
    let plugin = if plugin.is_empty() {
        UNKNOWN_PLUGIN
    } else {
        plugin
    };
    PackageError::InvalidManifest {
        plugin: plugin.to_owned(),
        problems,
    }
}

/// The `plugin.id` string when the TOML has one, for naming a manifest whose shape is wrong.
fn plugin_id_of(located: &Located<'_>) -> String {
    located
        .string_at(&["plugin", "id"])
        .unwrap_or(UNKNOWN_PLUGIN)
        .to_owned()
}

/// Collects problems as (key path, message).
#[derive(Default)]
struct Checker {
    problems: Vec<(KeyPath, String)>,
}

impl Checker {
    fn problem(&mut self, path: KeyPath, message: impl Into<String>) {
        self.problems.push((path, message.into()));
    }

    /// Checks `[plugin]`; returns the kind when it is a known one.
    fn plugin(&mut self, plugin: &PluginDoc) -> Option<PluginKind> {
        let at = KeyPath::root().key("plugin");
        if let Err(why) = names::check_plugin_name(&plugin.id) {
            self.problem(
                at.key("id"),
                format!("plugin id `{}` must be {why}", plugin.id),
            );
        }
        if let Err(why) = names::check_semver(&plugin.version) {
            self.problem(at.key("version"), format!("`{}` {why}", plugin.version));
        }
        if !SUPPORTED_INTERFACES.contains(&plugin.interface.as_str()) {
            self.problem(
                at.key("interface"),
                format!(
                    "interface `{}` is not one this host runs; supported: {}",
                    plugin.interface,
                    quoted(SUPPORTED_INTERFACES.iter().copied())
                ),
            );
        }
        if let Err(why) = names::check_plugin_name(&plugin.publisher) {
            self.problem(
                at.key("publisher"),
                format!("publisher `{}` must be {why}", plugin.publisher),
            );
        }
        self.description(at.key("description"), &plugin.description);
        match plugin.kind.as_str() {
            "connector" => Some(PluginKind::Connector),
            "segmenter" => Some(PluginKind::Segmenter),
            other => {
                self.problem(
                    at.key("kind"),
                    format!("kind `{other}` is unknown; use `connector` or `segmenter`"),
                );
                None
            }
        }
    }

    fn description(&mut self, path: KeyPath, text: &str) {
        if text.trim().is_empty() {
            self.problem(
                path,
                "the description is empty; say what it does in a sentence",
            );
        } else if text.chars().count() > MAX_DESCRIPTION_CHARS {
            self.problem(
                path,
                format!("the description is longer than {MAX_DESCRIPTION_CHARS} characters"),
            );
        }
    }

    /// Checks which sections a kind must and must not have.
    fn kind_sections(&mut self, kind: PluginKind, doc: &ManifestDoc) {
        let root = KeyPath::root();
        match kind {
            PluginKind::Segmenter => {
                if doc.data.is_none() {
                    self.problem(
                        root.key("data"),
                        "a segmenter needs a `[data]` section: the attributes and event types it reads and the \
                         purposes it is designed for",
                    );
                }
                if doc.output.is_some() {
                    self.problem(
                        root.key("output"),
                        "`[output]` is for connectors; a segmenter emits segments, declared in `[[segments]]`",
                    );
                }
                if doc.segments.as_ref().is_none_or(Vec::is_empty) {
                    self.problem(
                        root.key("segments"),
                        "a segmenter must declare every segment it may emit in `[[segments]]`; none is declared",
                    );
                }
            }
            PluginKind::Connector => {
                if doc.output.is_none() {
                    self.problem(
                        root.key("output"),
                        "a connector needs an `[output]` section: the identifier kinds, attributes and event \
                         types it may emit",
                    );
                }
                if doc.data.is_some() {
                    self.problem(
                        root.key("data"),
                        "`[data]` is for segmenters; a connector declares what it emits in `[output]`",
                    );
                }
                if doc.segments.is_some() {
                    self.problem(
                        root.key("segments"),
                        "`[[segments]]` is for segmenters; a connector emits records, not segments",
                    );
                }
            }
        }
    }

    fn data(&mut self, data: &DataNeeds) {
        let at = KeyPath::root().key("data");
        self.names(
            at.key("attributes"),
            &data.attributes,
            names::check_data_name,
        );
        self.names(
            at.key("event_types"),
            &data.event_types,
            names::check_data_name,
        );
        self.names(at.key("purposes"), &data.purposes, names::check_data_name);
        if data.purposes.is_empty() {
            self.problem(
                at.key("purposes"),
                "no purpose is listed, so the plugin could never run; list the purposes it is designed for",
            );
        }
    }

    fn output(&mut self, output: &OutputDecl) {
        let at = KeyPath::root().key("output");
        self.names(
            at.key("identifiers"),
            &output.identifiers,
            names::check_identifier_kind,
        );
        self.names(
            at.key("attributes"),
            &output.attributes,
            names::check_data_name,
        );
        self.names(
            at.key("event_types"),
            &output.event_types,
            names::check_data_name,
        );
        if output.identifiers.is_empty() {
            self.problem(
                at.key("identifiers"),
                "no identifier kind is listed, but every record needs at least one identifier",
            );
        }
    }

    /// Checks each name's syntax and that none repeats.
    fn names(&mut self, at: KeyPath, list: &[String], check: fn(&str) -> Result<(), String>) {
        if list.len() > MAX_LIST_ITEMS {
            self.problem(
                at.clone(),
                format!("lists {} names, more than {MAX_LIST_ITEMS}", list.len()),
            );
            return;
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, name) in list.iter().enumerate() {
            if let Err(why) = check(name) {
                self.problem(at.index(i), format!("`{name}` must be {why}"));
            }
            if let Some(first) = seen.insert(name, i) {
                self.problem(
                    at.index(i),
                    format!("`{name}` is already listed at `{}`", at.index(first)),
                );
            }
        }
    }

    fn segments(&mut self, segments: &[SegmentDecl]) {
        let at = KeyPath::root().key("segments");
        if segments.len() > MAX_LIST_ITEMS {
            self.problem(
                at,
                format!(
                    "declares {} segments, more than {MAX_LIST_ITEMS}",
                    segments.len()
                ),
            );
            return;
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, segment) in segments.iter().enumerate() {
            let id_path = at.index(i).key("id");
            if let Err(why) = names::check_segment_id(&segment.id) {
                self.problem(
                    id_path.clone(),
                    format!("segment id `{}` must be {why}", segment.id),
                );
            }
            if let Some(first) = seen.insert(&segment.id, i) {
                self.problem(
                    id_path,
                    format!(
                        "segment id `{}` is already declared at `{}`",
                        segment.id,
                        at.index(first).key("id")
                    ),
                );
            }
            self.description(at.index(i).key("description"), &segment.description);
        }
    }

    /// Parses and compiles the configuration schema.
    fn config_schema(&mut self, text: &str) -> Option<jsonschema::Validator> {
        let at = KeyPath::root().key("config").key("schema");
        let schema: Value = match serde_json::from_str(text) {
            Ok(schema) => schema,
            Err(e) => {
                self.problem(at, format!("the configuration schema is not JSON: {e}"));
                return None;
            }
        };
        // The workspace builds jsonschema without its HTTP and file retrievers, so a schema that refers to a
        // remote document fails to compile here instead of making the host fetch anything.
        match jsonschema::validator_for(&schema) {
            Ok(validator) => Some(validator),
            Err(e) => {
                let pointer = e.instance_path().as_str().to_owned();
                let place = if pointer.is_empty() {
                    String::new()
                } else {
                    format!(" at `{pointer}`")
                };
                self.problem(
                    at,
                    format!("the configuration schema is not a valid JSON Schema{place}: {e}"),
                );
                None
            }
        }
    }
}

fn quoted<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
