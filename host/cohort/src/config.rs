//! Resolves where things are: data directory, key file, policy, from flags, then environment variables, then an
//! optional `cohort.toml`, in that order. Every miss is an error that says all three ways to fix it.

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The optional configuration file (`--config`, `COHORT_CONFIG`, or `./cohort.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Key file.
    pub key_file: Option<PathBuf>,
    /// Policy file.
    pub policy: Option<PathBuf>,
    /// Folder of installed plugin packages.
    pub plugin_dir: Option<PathBuf>,
    /// Settings of `cohort serve`.
    pub serve: Option<cohort_server::ServeConfig>,
    /// Federation peers (`[[peers]]`), checked by `cohort_federation::Peers::from_config`.
    pub peers: Option<Vec<cohort_federation::PeerConfig>>,
}

/// Locations given on the command line or in the environment (clap reads both).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub plugin_dir: Option<PathBuf>,
}

/// Resolved locations.
#[derive(Debug, Clone)]
pub struct Locations {
    file: ConfigFile,
    flags: Flags,
    config_path: Option<PathBuf>,
}

impl Locations {
    /// Reads the config file, if any.
    pub fn resolve(flags: Flags) -> Result<Self> {
        let (file, config_path) = match &flags.config {
            Some(p) => (read_config(p)?, Some(p.clone())),
            None => {
                let default = PathBuf::from("cohort.toml");
                if default.is_file() {
                    (read_config(&default)?, Some(default))
                } else {
                    (ConfigFile::default(), None)
                }
            }
        };
        // Paths in the config file are relative to the file's folder, so a config works from any working directory.
        let base = config_path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let rebase = |p: Option<PathBuf>| p.map(|p| if p.is_absolute() { p } else { base.join(p) });
        let file = ConfigFile {
            data_dir: rebase(file.data_dir),
            key_file: rebase(file.key_file),
            policy: rebase(file.policy),
            plugin_dir: rebase(file.plugin_dir),
            serve: file.serve.map(|mut serve| {
                serve.federation_key = rebase(serve.federation_key);
                serve
            }),
            peers: file.peers,
        };
        Ok(Self {
            file,
            flags,
            config_path,
        })
    }

    fn hint(&self, flag: &str, env: &str, key: &str) -> String {
        let cfg = match &self.config_path {
            Some(p) => format!("set `{key}` in {}", p.display()),
            None => format!("set `{key}` in cohort.toml"),
        };
        format!("pass {flag}, set {env}, or {cfg}")
    }

    /// The data directory.
    pub fn data_dir(&self) -> Result<PathBuf> {
        match self
            .flags
            .data_dir
            .clone()
            .or_else(|| self.file.data_dir.clone())
        {
            Some(p) => Ok(p),
            None => bail!(
                "no data directory given: {}",
                self.hint("--data-dir DIR", "COHORT_DATA_DIR", "data_dir")
            ),
        }
    }

    /// The key file; by default `<data-dir>.keys.json` beside (never inside) the data directory.
    pub fn key_file(&self) -> Result<PathBuf> {
        if let Some(p) = self
            .flags
            .key_file
            .clone()
            .or_else(|| self.file.key_file.clone())
        {
            return Ok(p);
        }
        let data = self.data_dir().with_context(|| {
            format!(
                "no key file given: {}",
                self.hint("--key-file FILE", "COHORT_KEY_FILE", "key_file")
            )
        })?;
        Ok(default_key_file(&data))
    }

    /// The policy file.
    pub fn policy(&self) -> Result<PathBuf> {
        match self
            .flags
            .policy
            .clone()
            .or_else(|| self.file.policy.clone())
        {
            Some(p) => Ok(p),
            None => bail!(
                "no policy given: {} (policies/example-retail.yaml is a starting point)",
                self.hint("--policy FILE", "COHORT_POLICY", "policy")
            ),
        }
    }
}

impl Locations {
    /// The folder of installed plugin packages; by default `<data-dir>.plugins` beside the data directory.
    pub fn plugin_dir(&self) -> Result<PathBuf> {
        if let Some(p) = self
            .flags
            .plugin_dir
            .clone()
            .or_else(|| self.file.plugin_dir.clone())
        {
            return Ok(p);
        }
        let data = self.data_dir().with_context(|| {
            format!(
                "no plugin folder given: {}",
                self.hint("--plugin-dir DIR", "COHORT_PLUGIN_DIR", "plugin_dir")
            )
        })?;
        let name = data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cohort".into());
        Ok(data.with_file_name(format!("{name}.plugins")))
    }
}

impl Locations {
    /// The `[serve]` table of the configuration file (empty when there is none).
    pub fn serve_config(&self) -> cohort_server::ServeConfig {
        self.file.serve.clone().unwrap_or_default()
    }
}

impl Locations {
    /// The `[[peers]]` of the configuration file, checked (none when there are none). Errors name the file, the
    /// entry and the field.
    pub fn peers(&self) -> Result<cohort_federation::Peers> {
        let entries = self.file.peers.as_deref().unwrap_or_default();
        cohort_federation::Peers::from_config(entries).map_err(|e| match &self.config_path {
            Some(p) => anyhow::anyhow!("{}: {e}", p.display()),
            None => anyhow::anyhow!("{e}"),
        })
    }
}

/// `<data-dir>.keys.json`, next to the data directory.
pub fn default_key_file(data_dir: &Path) -> PathBuf {
    let name = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cohort".into());
    data_dir.with_file_name(format!("{name}.keys.json"))
}

fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))
}
