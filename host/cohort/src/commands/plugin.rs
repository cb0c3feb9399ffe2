//! `cohort plugin`: the plugin author's and the operator's tools (new, build, keygen, sign, verify, install, list,
//! test).

use crate::cli::{PluginCommand, PluginKindArg};
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Context as _, Result, anyhow, bail};
use cohort_plugin_package::{Package, PluginKind, PublisherKey, TrustedPackage, authorise_load};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn run(ctx: &Ctx, command: PluginCommand) -> Result<()> {
    match command {
        PluginCommand::New {
            name,
            kind,
            dir,
            sdk,
            publisher,
        } => scaffold(ctx, &name, kind, dir, sdk, &publisher),
        PluginCommand::Build { dir, out, wasm } => {
            let pkg = match wasm {
                Some(wasm) => package_prebuilt(&dir, &wasm)?,
                None => build(&dir)?,
            };
            let out = out.unwrap_or_else(|| PathBuf::from(pkg.file_name()));
            std::fs::write(&out, pkg.to_bytes())
                .with_context(|| format!("writing {}", out.display()))?;
            emit(
                ctx.json,
                &serde_json::json!({"package": out, "sha256": pkg.sha256_hex()}),
                || {
                    format!(
                        "Built {} (unsigned), sha256 {}\nNext: cohort plugin sign {} --key PUBLISHER.key\n",
                        out.display(),
                        pkg.sha256_hex(),
                        out.display()
                    )
                },
            )
        }
        PluginCommand::Keygen { name, out } => {
            let public = PublisherKey::create_file(&out, &name)?;
            emit(
                ctx.json,
                &serde_json::json!({"key_file": out, "publisher": name, "public_key": public}),
                || {
                    format!(
                        "Created publisher key {} (0600). Keep it secret.\nTo trust it, add to the policy's plugins section:\n  \
                     trusted_publishers:\n    - {{ name: {name}, key: \"{public}\" }}\n",
                        out.display()
                    )
                },
            )
        }
        PluginCommand::Sign { package, key } => {
            let mut pkg = read_package(&package)?;
            let key = PublisherKey::load(&key)?;
            pkg.sign(&key)?;
            write_atomically(&package, &pkg.to_bytes())?;
            emit(
                ctx.json,
                &serde_json::json!({"package": package, "publisher": key.name()}),
                || {
                    format!(
                        "Signed {} as publisher `{}`.\n",
                        package.display(),
                        key.name()
                    )
                },
            )
        }
        PluginCommand::Verify { package } => {
            let pkg = read_package(&package)?;
            let sha = pkg.sha256_hex();
            let verified = pkg.verify()?;
            let m = verified.manifest();
            let mut rows = vec![
                (
                    "plugin",
                    format!("{}@{} ({})", m.id(), m.version(), m.kind().as_str()),
                ),
                ("publisher", verified.publisher().to_string()),
                ("signing key", verified.public_key_text()),
                ("package sha256", sha.clone()),
                ("signature", "valid".to_string()),
            ];
            let mut trust = serde_json::Value::Null;
            if let Ok(policy) = ctx.policy() {
                match authorise_load(&verified, &policy) {
                    Ok(trusted) => {
                        let purposes: Vec<String> = policy
                            .purposes()
                            .iter()
                            .filter(|p| {
                                cohort_plugin_package::authorise_purpose(&trusted, &policy, &p.id)
                                    .is_ok()
                            })
                            .map(|p| p.id.clone())
                            .collect();
                        rows.push(("trusted by policy", format!("yes ({})", policy.id())));
                        rows.push((
                            "allowed purposes",
                            if purposes.is_empty() {
                                "none".into()
                            } else {
                                purposes.join(", ")
                            },
                        ));
                        trust = serde_json::json!({"trusted": true, "policy": policy.id(), "purposes": purposes});
                    }
                    Err(e) => {
                        rows.push(("trusted by policy", format!("no: {e}")));
                        trust = serde_json::json!({"trusted": false, "reason": e.to_string()});
                    }
                }
            }
            emit(
                ctx.json,
                &serde_json::json!({"plugin": m.id(), "version": m.version(), "publisher": verified.publisher(),
                "sha256": sha, "signature": "valid", "trust": trust}),
                || table(&rows),
            )
        }
        PluginCommand::Install { package } => {
            let policy = ctx.policy()?;
            let pkg = read_package(&package)?;
            let verified = pkg.verify()?;
            let trusted = authorise_load(&verified, &policy)?;
            let dir = ctx.locations.plugin_dir()?;
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let dest = dir.join(trusted.package().file_name());
            std::fs::write(&dest, trusted.package().to_bytes())
                .with_context(|| format!("writing {}", dest.display()))?;
            emit(
                ctx.json,
                &serde_json::json!({"installed": dest, "sha256": trusted.sha256_hex()}),
                || {
                    format!(
                        "Installed {} into {}\n",
                        trusted.package().file_name(),
                        dir.display()
                    )
                },
            )
        }
        PluginCommand::List => {
            let dir = ctx.locations.plugin_dir()?;
            let mut rows = Vec::new();
            for path in installed(&dir)? {
                let pkg = read_package(&path)?;
                let m = pkg.manifest();
                rows.push(serde_json::json!({"id": m.id(), "version": m.version(), "kind": m.kind().as_str(),
                    "publisher": m.publisher(), "sha256": pkg.sha256_hex(), "file": path}));
            }
            emit(ctx.json, &rows, || {
                if rows.is_empty() {
                    return format!("No plugins installed in {}\n", dir.display());
                }
                rows.iter()
                    .map(|r| {
                        format!(
                            "  {:<22} {:<8} {:<10} {}\n",
                            r["id"].as_str().unwrap_or_default(),
                            r["version"].as_str().unwrap_or_default(),
                            r["kind"].as_str().unwrap_or_default(),
                            r["publisher"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
        }
        PluginCommand::Test {
            package,
            input,
            plugin_config: config,
            purpose,
        } => test(ctx, &package, &input, config.as_deref(), &purpose),
    }
}

/// A plugin configuration from `--plugin-config FILE` (JSON), or `{}` when none is given.
pub fn read_plugin_config(path: Option<&Path>) -> Result<serde_json::Value> {
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{}", p.display()))
        }
        None => Ok(serde_json::json!({})),
    }
}

pub fn read_package(path: &Path) -> Result<Package> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading plugin package {}", path.display()))?;
    Package::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("signing.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Installed package files in `dir`.
fn installed(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(cohort_segments::installed::installed_packages(dir)?)
}

/// [`trusted`], auditing a refusal (`plugin.refused`, with the reason's kind) before returning it.
pub fn trusted_or_audit(
    ctx: &Ctx,
    store: &cohort_store::Store,
    policy: &cohort_policy::Policy,
    name: &str,
) -> Result<TrustedPackage> {
    trusted(ctx, policy, name).inspect_err(|e| {
        let reason = match e.downcast_ref::<cohort_plugin_package::PackageError>() {
            Some(cohort_plugin_package::PackageError::UntrustedPublisher { .. })
            | Some(cohort_plugin_package::PackageError::UntrustedKey { .. }) => "untrusted",
            Some(cohort_plugin_package::PackageError::Unsigned { .. }) => "unsigned",
            Some(cohort_plugin_package::PackageError::BadSignature { .. }) => "bad_signature",
            Some(_) => "invalid_package",
            None => "not_found",
        };
        let audited = store.audit(
            cohort_store::AuditRecord::new(&ctx.actor, "plugin.refused", Some(policy.sha256_hex()))
                .detail("plugin", name.to_string())
                .detail("reason", reason),
        );
        if let Err(a) = audited {
            tracing::error!("could not audit a refused plugin: {a}");
        }
    })
}

/// Loads a trusted package into the sandbox, auditing a refusal at load (a forbidden import, not a component).
pub fn load_or_audit(
    ctx: &Ctx,
    store: &cohort_store::Store,
    policy: &cohort_policy::Policy,
    runtime: &cohort_plugins::Runtime,
    package: &TrustedPackage,
) -> Result<cohort_plugins::LoadedPlugin> {
    runtime.load(package).map_err(|e| {
        let audited = store.audit(
            cohort_store::AuditRecord::new(&ctx.actor, "plugin.refused", Some(policy.sha256_hex()))
                .detail(
                    "plugin",
                    format!(
                        "{}@{}",
                        package.manifest().id(),
                        package.manifest().version()
                    ),
                )
                .detail("package_sha256", package.sha256_hex())
                .detail("reason", e.kind().to_string()),
        );
        if let Err(a) = audited {
            tracing::error!("could not audit a refused plugin: {a}");
        }
        anyhow::Error::from(e)
    })
}

/// A package by installed id (highest version) or by file path, verified and authorised under `policy`.
pub fn trusted(ctx: &Ctx, policy: &cohort_policy::Policy, name: &str) -> Result<TrustedPackage> {
    let path = if Path::new(name).is_file() {
        PathBuf::from(name)
    } else {
        let dir = ctx.locations.plugin_dir()?;
        cohort_segments::installed::find_installed(&dir, name)?
    };
    let verified = read_package(&path)?.verify()?;
    Ok(authorise_load(&verified, policy)?)
}

/// Builds the crate in `dir` for wasm32-unknown-unknown (from inside `dir`, so its .cargo/config.toml applies)
/// and packages the component with the crate's manifest.
pub fn build(dir: &Path) -> Result<Package> {
    let manifest_text = std::fs::read_to_string(dir.join("manifest.toml"))
        .with_context(|| format!("{} has no manifest.toml", dir.display()))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .current_dir(dir)
        .status()
        .with_context(|| format!("running {cargo} in {}", dir.display()))?;
    if !status.success() {
        bail!("cargo build failed in {}", dir.display());
    }
    let meta = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(dir)
        .output()?;
    let meta: serde_json::Value =
        serde_json::from_slice(&meta.stdout).context("reading cargo metadata")?;
    let target = meta["target_directory"]
        .as_str()
        .context("cargo metadata has no target_directory")?;
    let crate_manifest = std::fs::canonicalize(dir.join("Cargo.toml"))?;
    let package = meta["packages"]
        .as_array()
        .and_then(|ps| {
            ps.iter().find(|p| {
                p["manifest_path"].as_str().map(PathBuf::from).as_deref()
                    == Some(crate_manifest.as_path())
            })
        })
        .context("the crate is not in its cargo metadata")?;
    let lib = package["name"]
        .as_str()
        .unwrap_or_default()
        .replace('-', "_");
    let wasm_path = Path::new(target)
        .join("wasm32-unknown-unknown/release")
        .join(format!("{lib}.wasm"));
    let wasm =
        std::fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    Ok(Package::build(&manifest_text, wasm)?)
}

/// Packages a component built by another toolchain (`--wasm`) with the manifest in `dir`.
fn package_prebuilt(dir: &Path, wasm: &Path) -> Result<Package> {
    let manifest_text = std::fs::read_to_string(dir.join("manifest.toml"))
        .with_context(|| format!("{} has no manifest.toml", dir.display()))?;
    let wasm = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    Ok(Package::build(&manifest_text, wasm)?)
}

fn test(
    ctx: &Ctx,
    package: &Path,
    input: &Path,
    config: Option<&Path>,
    purpose: &str,
) -> Result<()> {
    let pkg = read_package(package)?;
    let config = read_plugin_config(config)?;
    let m = pkg.manifest();
    m.validate_config(&config)
        .map_err(|e| anyhow!("configuration: {}", e.join("; ")))?;
    let runtime = cohort_plugins::Runtime::new()?;
    let name = format!("{}@{}", m.id(), m.version());
    let loaded = runtime.load_with_manifest(m, pkg.sha256_hex(), pkg.wasm())?;
    let started = std::time::Instant::now();
    let (output, stats) = match m.kind() {
        PluginKind::Connector => {
            let conversion = crate::commands::ingest::convert(&loaded, &config.to_string(), input)?;
            let mut problems: Vec<String> = conversion
                .diagnostics
                .iter()
                .map(|(row, field, msg)| {
                    format!(
                        "row {row}: {}{msg}",
                        field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
                    )
                })
                .collect();
            let output = m.output().cloned().unwrap_or_default();
            for (i, r) in conversion.records.iter().enumerate() {
                match serde_json::from_str::<serde_json::Value>(r) {
                    Ok(v) => {
                        if let Err(e) = output.check_record(&v) {
                            problems.push(format!("record {}: {e}", i + 1));
                        }
                    }
                    Err(e) => problems.push(format!("record {}: not JSON ({e})", i + 1)),
                }
            }
            (
                serde_json::json!({"records": conversion.records.len(), "problems": problems,
                "first_records": conversion.records.iter().take(3).collect::<Vec<_>>()}),
                conversion.stats,
            )
        }
        PluginKind::Segmenter => {
            let text = std::fs::read_to_string(input)
                .with_context(|| format!("reading {}", input.display()))?;
            let mut profiles = Vec::new();
            // The tokens the file names, by the token the plugin is given (the profile's position).
            let mut labels = std::collections::HashMap::new();
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let v: serde_json::Value = serde_json::from_str(line)
                    .with_context(|| format!("{}:{}", input.display(), i + 1))?;
                let (label, profile) = crate::commands::segment::profile_from_json(&v, i)?;
                labels.insert(profile.token, label);
                profiles.push(profile);
            }
            // What a production run would let through: manifest ∩ purpose when the policy is at hand, else the
            // manifest alone. The rest is withheld here too, and named in the report.
            let data = m.data().cloned().unwrap_or_default();
            let (scope, scope_from) = match ctx.policy() {
                Ok(policy) => {
                    let p = policy.purpose(purpose).ok_or_else(|| {
                        anyhow!(crate::exit::Invalid(format!(
                            "purpose `{purpose}` is not in policy `{}`",
                            policy.id()
                        )))
                    })?;
                    (
                        cohort_segments::projection::Scope::new(
                            &data.attributes,
                            &data.event_types,
                            &p.attributes,
                            &p.event_types,
                        ),
                        "manifest and purpose".to_string(),
                    )
                }
                Err(e) => (
                    cohort_segments::projection::Scope {
                        attributes: data.attributes.iter().cloned().collect(),
                        event_types: data.event_types.iter().cloned().collect(),
                    },
                    format!(
                        "manifest only: no policy could be loaded ({e:#}), so the purpose's own limits were not applied"
                    ),
                ),
            };
            let withheld = withhold_outside(&mut profiles, &scope);
            let mut run = loaded.start_segmenter(
                &config.to_string(),
                purpose,
                time::OffsetDateTime::now_utc().unix_timestamp(),
            )?;
            // Chunks of the size a real run sends, so per-call fuel and memory match production.
            let mut out = cohort_plugins::Assignments::new();
            for chunk in profiles.chunks(cohort_segments::DEFAULT_CHUNK) {
                out.append(run.add(chunk)?);
            }
            run.finish_into(&mut out)?;
            let mut by_segment = std::collections::BTreeMap::<String, u64>::new();
            for a in out.iter() {
                *by_segment.entry(a.segment.to_owned()).or_default() += 1;
            }
            let first_assignments: Vec<serde_json::Value> = out
                .iter()
                .take(5)
                .map(|a| {
                    let token = labels.get(&a.token).ok_or_else(|| {
                        anyhow!("plugin `{name}` assigned a token it was never given")
                    })?;
                    Ok(
                        serde_json::json!({"token": token, "segment": a.segment, "score": a.score,
                                          "reasons": a.reasons().collect::<Vec<_>>()}),
                    )
                })
                .collect::<Result<_>>()?;
            (
                serde_json::json!({"profiles": profiles.len(), "assignments": out.len(), "by_segment": by_segment,
                "first_assignments": first_assignments, "interface": loaded.interface(),
                "projection": {"from": scope_from, "withheld_attributes": withheld.0,
                               "withheld_event_types": withheld.1}}),
                run.stats,
            )
        }
    };
    let limits = loaded.limits();
    let report = serde_json::json!({
        "plugin": name, "kind": m.kind().as_str(), "sha256": pkg.sha256_hex(),
        "limits": {"fuel_per_call": limits.fuel_per_call, "memory_bytes": limits.memory_bytes,
                   "output_bytes": limits.output_bytes, "wall_clock_ms": limits.wall_clock.as_millis() as u64},
        "fuel": stats.fuel, "peak_memory_bytes": stats.peak_memory, "plugin_ms": stats.micros / 1000,
        "elapsed_ms": started.elapsed().as_millis() as u64, "output": output,
    });
    emit(ctx.json, &report, || {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )
    })
}

/// Removes from `profiles` every attribute and event outside `scope`; returns the names withheld (attributes, event
/// types), each once.
fn withhold_outside(
    profiles: &mut [cohort_plugins::Profile],
    scope: &cohort_segments::projection::Scope,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let mut attributes = std::collections::BTreeSet::new();
    let mut event_types = std::collections::BTreeSet::new();
    for p in profiles {
        p.attributes.retain(|a| {
            let keep = scope.attributes.contains(&a.name);
            if !keep {
                attributes.insert(a.name.clone());
            }
            keep
        });
        p.events.retain(|e| {
            let keep = scope.event_types.contains(&e.event_type);
            if !keep {
                event_types.insert(e.event_type.clone());
            }
            keep
        });
    }
    (attributes, event_types)
}

fn scaffold(
    ctx: &Ctx,
    name: &str,
    kind: PluginKindArg,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
    publisher: &str,
) -> Result<()> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!("plugin name `{name}` must match [a-z][a-z0-9-]*");
    }
    let root = dir.unwrap_or_else(|| PathBuf::from(".")).join(name);
    if root.exists() {
        bail!("{} already exists", root.display());
    }
    let sdk = match sdk {
        Some(p) => p,
        None => locate_sdk()
            .context("cannot find the Cohort plugin SDK; pass --sdk PATH/TO/cohort/plugins/sdk")?,
    };
    let sdk = std::fs::canonicalize(&sdk).with_context(|| format!("--sdk {}", sdk.display()))?;
    let files = crate::commands::scaffold::files(name, kind, &sdk, publisher);
    for (rel, text) in &files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    emit(
        ctx.json,
        &serde_json::json!({"created": root, "files": files.iter().map(|(f, _)| f).collect::<Vec<_>>()}),
        || {
            format!(
                "Created {} ({} plugin).\n  cd {0} && cargo test            # native tests of your logic\n  cohort plugin build {0}          # build the component and package it\n  cohort plugin test {name}-0.1.0.cohort-plugin --input <file>\n",
                root.display(),
                match kind {
                    PluginKindArg::Segmenter => "segmenter",
                    PluginKindArg::Connector => "connector",
                }
            )
        },
    )
}

/// The SDK of the Cohort checkout the binary was built from, or one found from the current directory upwards.
fn locate_sdk() -> Option<PathBuf> {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk");
    if built.join("Cargo.toml").is_file() {
        return Some(built);
    }
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let candidate = dir.join("plugins/sdk");
        if candidate.join("Cargo.toml").is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}
