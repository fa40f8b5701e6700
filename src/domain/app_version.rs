//! `X-App-Version: <platform>/<semver>`: which app is calling, and whether it is too old to be
//! served.

use std::fmt;

/// The three apps: the Android and iOS phones' and the web one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Android,
    Ios,
    Web,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Web => "web",
        }
    }
}

/// An app's platform and version, as its header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppVersion {
    pub platform: Platform,
    pub version: semver::Version,
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.platform.as_str(), self.version)
    }
}

impl AppVersion {
    /// `android/2.4.1`, `ios/3.0.0-beta.2`, `web/1.0.0` (platform in any case). `None` for
    /// anything else, a version without all three numbers included.
    pub fn parse(header: &str) -> Option<AppVersion> {
        let (platform, version) = header.trim().split_once('/')?;
        let platform = match platform.to_ascii_lowercase().as_str() {
            "android" => Platform::Android,
            "ios" => Platform::Ios,
            "web" => Platform::Web,
            _ => return None,
        };
        let version = semver::Version::parse(version).ok()?;
        Some(AppVersion { platform, version })
    }
}

/// The oldest version still served on each platform (`None`: any).
#[derive(Debug, Clone, Default)]
pub struct Minimums<'a> {
    pub android: Option<&'a semver::Version>,
    pub ios: Option<&'a semver::Version>,
    pub web: Option<&'a semver::Version>,
}

impl Minimums<'_> {
    /// The minimum `app` falls short of, if it does (semver precedence: `2.0.0-rc.1` is older
    /// than `2.0.0`; build metadata does not count).
    pub fn shortfall(&self, app: &AppVersion) -> Option<&semver::Version> {
        let min = match app.platform {
            Platform::Android => self.android,
            Platform::Ios => self.ios,
            Platform::Web => self.web,
        }?;
        (app.version.cmp_precedence(min).is_lt()).then_some(min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn headers_parse_or_are_refused() {
        let a = AppVersion::parse("android/2.4.1").unwrap();
        assert_eq!((a.platform, a.version), (Platform::Android, v("2.4.1")));
        assert_eq!(
            AppVersion::parse("IOS/3.0.0-beta.2").unwrap().platform,
            Platform::Ios
        );
        assert_eq!(
            AppVersion::parse(" web/1.0.0 ").unwrap().to_string(),
            "web/1.0.0"
        );
        for bad in [
            "",
            "android",
            "android/",
            "android/2.4",
            "android/v2.4.1",
            "android/2.4.1/x",
            "windows/1.0.0",
            "/1.0.0",
            "android 2.4.1",
        ] {
            assert_eq!(AppVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_an_older_app_on_a_platform_with_a_minimum_falls_short() {
        let (android, web) = (v("2.3.0"), v("1.0.0"));
        let min = Minimums {
            android: Some(&android),
            ios: None,
            web: Some(&web),
        };
        let app = |s: &str| AppVersion::parse(s).unwrap();
        assert_eq!(min.shortfall(&app("android/2.2.9")), Some(&android));
        assert_eq!(min.shortfall(&app("android/2.3.0-rc.1")), Some(&android));
        assert_eq!(min.shortfall(&app("android/2.3.0")), None);
        assert_eq!(min.shortfall(&app("android/2.3.0+build.7")), None);
        assert_eq!(min.shortfall(&app("android/10.0.0")), None);
        assert_eq!(min.shortfall(&app("ios/0.0.1")), None, "no minimum");
        assert_eq!(min.shortfall(&app("web/0.9.0")), Some(&web));
    }
}
