//! SARIF 2.1.0 output of a scan, for GitHub code scanning and other viewers.
//!
//! One run with the tool `qualys-ci-auth`, one rule per [`RuleId`], and one
//! result per finding at level `error`. Relative paths become relative URIs
//! against `%SRCROOT%` (GitHub resolves them from the repository root);
//! absolute paths become `file://` URIs. The snippet is the masked excerpt.

use std::collections::BTreeMap;
use std::path::Path;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_sarif::sarif::{
    ArtifactContent, ArtifactLocation, Location, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::{RuleId, ScanReport};
use crate::error::{Error, Result};

/// The `$schema` written into the log: the OASIS 2.1.0 schema (errata 01).
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base id that relative result paths are resolved against.
pub const SOURCE_ROOT_ID: &str = "%SRCROOT%";

/// GitHub's `security-severity` for every rule: a committed credential is
/// critical (9.0 and above is shown as critical).
const SECURITY_SEVERITY: &str = "9.0";

/// Characters escaped in a URI path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn rule_descriptor(rule: RuleId) -> ReportingDescriptor {
    let mut properties = BTreeMap::new();
    properties.insert(
        "security-severity".to_owned(),
        serde_json::Value::String(SECURITY_SEVERITY.to_owned()),
    );
    ReportingDescriptor::builder()
        .id(rule.as_str())
        .name(rule_name(rule))
        .short_description(
            MultiformatMessageString::builder()
                .text(rule.title())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(rule.title())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(rule.help())
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::Value::String("error".to_owned()))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["security".to_owned(), "secret".to_owned()])
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// Returns the rule's name in PascalCase, as SARIF viewers show it.
fn rule_name(rule: RuleId) -> String {
    rule.as_str()
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Returns the artifact location of a reported path.
fn artifact_location(path: &str) -> ArtifactLocation {
    if Path::new(path).is_absolute()
        && let Ok(url) = url::Url::from_file_path(path)
    {
        return ArtifactLocation::builder().uri(url.to_string()).build();
    }
    let uri: Vec<String> = path
        .split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect();
    ArtifactLocation::builder()
        .uri(uri.join("/"))
        .uri_base_id(SOURCE_ROOT_ID)
        .build()
}

/// Builds the SARIF log of a scan.
pub fn to_sarif(report: &ScanReport) -> Sarif {
    let rules: Vec<ReportingDescriptor> = RuleId::ALL.iter().map(|r| rule_descriptor(*r)).collect();
    let rule_index = |rule: RuleId| {
        RuleId::ALL
            .iter()
            .position(|r| *r == rule)
            .map_or(-1, |i| i as i64)
    };
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|finding| {
            let region = Region::builder()
                .start_line(finding.line as i64)
                .start_column(finding.column as i64)
                .end_column(finding.end_column as i64)
                .snippet(
                    ArtifactContent::builder()
                        .text(finding.excerpt.clone())
                        .build(),
                )
                .build();
            let location = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(artifact_location(&finding.path))
                        .region(region)
                        .build(),
                )
                .build();
            SarifResult::builder()
                .rule_id(finding.rule.as_str())
                .rule_index(rule_index(finding.rule))
                .level(ResultLevel::Error)
                .message(Message::builder().text(finding.message.clone()).build())
                .locations(vec![location])
                .build()
        })
        .collect();

    let driver = ToolComponent::builder()
        .name("qualys-ci-auth")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::Value::String("utf16CodeUnits".to_owned()))
        .build();
    Sarif::builder()
        .schema(SARIF_SCHEMA_URI)
        .version(serde_json::Value::String("2.1.0".to_owned()))
        .runs(vec![run])
        .build()
}

/// Formats the SARIF log of a scan as pretty JSON.
pub fn to_sarif_json(report: &ScanReport) -> Result<String> {
    serde_json::to_string_pretty(&to_sarif(report))
        .map_err(|e| Error::internal(format!("formatting the SARIF log failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names() {
        assert_eq!(rule_name(RuleId::JwtLiteral), "JwtLiteral");
        assert_eq!(
            rule_name(RuleId::QualysSecretAssignment),
            "QualysSecretAssignment"
        );
    }

    #[test]
    fn locations() {
        let relative = artifact_location(".github/workflows/my scan.yml");
        assert_eq!(
            relative.uri.as_deref(),
            Some(".github/workflows/my%20scan.yml")
        );
        assert_eq!(relative.uri_base_id.as_deref(), Some(SOURCE_ROOT_ID));
        if cfg!(unix) {
            let absolute = artifact_location("/work/repo/Jenkinsfile");
            assert_eq!(
                absolute.uri.as_deref(),
                Some("file:///work/repo/Jenkinsfile")
            );
            assert_eq!(absolute.uri_base_id, None);
        }
    }
}
