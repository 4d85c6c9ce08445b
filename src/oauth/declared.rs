//! Upstream's other social providers whose flow is the shared one: each is a row of data
//! (endpoints, scopes, where the profile is and which fields map to the user).
//! From better-auth 1.7.25's `@better-auth/core/social-providers`.

use serde_json::Value;

use super::providers::{Profile, UserInfo};
use super::{decode_jwt_claims, get_json, http, string_bool};

#[derive(Debug, PartialEq, Eq)]
pub enum Fetch {
    /// `GET` with the bearer token (and these headers).
    Get(&'static str, &'static [(&'static str, &'static str)]),
    /// `POST` without a body (Dropbox's RPC style).
    Post(&'static str),
    /// The ID token's claims (decoded; it came straight from the token endpoint), else a GET.
    IdToken(Option<&'static str>),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    Never,
    /// `true` / `"true"` at this pointer.
    At(&'static str),
    /// All of these are true (Kakao).
    All(&'static [&'static str]),
    /// JavaScript truthiness (`Boolean(profile.verified)`: Zoom sends 1).
    Truthy(&'static str),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Declared {
    pub id: &'static str,
    pub authorize: &'static str,
    pub token: &'static str,
    pub scopes: &'static [&'static str],
    pub pkce: bool,
    pub basic_auth: bool,
    /// Fixed authorization parameters (Atlassian's `audience`, Notion's `owner`).
    pub params: &'static [(&'static str, &'static str)],
    /// Zoom and PayPal send no `scope`.
    pub no_scope: bool,
    pub fetch: Fetch,
    /// Where the profile sits in the answer (JSON pointer; "" is the whole answer).
    pub root: &'static str,
    /// The answer must have this value here (Naver's `resultcode`).
    pub require: Option<(&'static str, &'static str)>,
    /// Candidates, first non-empty wins (pointers into the profile).
    pub account_id: &'static [&'static str],
    pub name: &'static [&'static str],
    pub email: &'static [&'static str],
    pub image: &'static [&'static str],
    pub verified: Verified,
    /// No email from the API: `<id>@<provider>.placeholder.invalid` (Reddit, Roblox).
    pub placeholder_email: bool,
}

const BEARER: &[(&str, &str)] = &[];

pub const DECLARED: &[Declared] = &[
    Declared {
        id: "linkedin",
        authorize: "https://www.linkedin.com/oauth/v2/authorization",
        token: "https://www.linkedin.com/oauth/v2/accessToken",
        scopes: &["profile", "email", "openid"],
        pkce: false,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://api.linkedin.com/v2/userinfo", BEARER),
        root: "",
        require: None,
        account_id: &["/sub"],
        name: &["/name"],
        email: &["/email"],
        image: &["/picture"],
        verified: Verified::At("/email_verified"),
        placeholder_email: false,
    },
    Declared {
        id: "spotify",
        authorize: "https://accounts.spotify.com/authorize",
        token: "https://accounts.spotify.com/api/token",
        scopes: &["user-read-email"],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://api.spotify.com/v1/me", BEARER),
        root: "",
        require: None,
        account_id: &["/id"],
        name: &["/display_name"],
        email: &["/email"],
        image: &["/images/0/url"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "twitch",
        authorize: "https://id.twitch.tv/oauth2/authorize",
        token: "https://id.twitch.tv/oauth2/token",
        scopes: &["user:read:email", "openid"],
        pkce: false,
        basic_auth: false,
        params: &[("claims", r#"{"id_token":{"email":null,"email_verified":null,"preferred_username":null,"picture":null}}"#)],
        no_scope: false,
        fetch: Fetch::IdToken(None),
        root: "",
        require: None,
        account_id: &["/sub"],
        name: &["/preferred_username"],
        email: &["/email"],
        image: &["/picture"],
        verified: Verified::At("/email_verified"),
        placeholder_email: false,
    },
    Declared {
        id: "slack",
        authorize: "https://slack.com/openid/connect/authorize",
        token: "https://slack.com/api/openid.connect.token",
        scopes: &["openid", "profile", "email"],
        pkce: false,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://slack.com/api/openid.connect.userInfo", BEARER),
        root: "",
        require: None,
        account_id: &["/https:~1~1slack.com~1user_id"],
        name: &["/name"],
        email: &["/email"],
        image: &["/picture", "/https:~1~1slack.com~1user_image_512"],
        verified: Verified::At("/email_verified"),
        placeholder_email: false,
    },
    Declared {
        id: "reddit",
        authorize: "https://www.reddit.com/api/v1/authorize",
        token: "https://www.reddit.com/api/v1/access_token",
        scopes: &["identity"],
        pkce: false,
        basic_auth: true,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://oauth.reddit.com/api/v1/me", &[("user-agent", "better-auth")]),
        root: "",
        require: None,
        account_id: &["/id"],
        name: &["/name"],
        email: &[],
        image: &["/icon_img"],
        verified: Verified::Never,
        placeholder_email: true,
    },
    Declared {
        id: "zoom",
        authorize: "https://zoom.us/oauth/authorize",
        token: "https://zoom.us/oauth/token",
        scopes: &[],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: true,
        fetch: Fetch::Get("https://api.zoom.us/v2/users/me", BEARER),
        root: "",
        require: None,
        account_id: &["/id"],
        name: &["/display_name"],
        email: &["/email"],
        image: &["/pic_url"],
        verified: Verified::Truthy("/verified"),
        placeholder_email: false,
    },
    Declared {
        id: "dropbox",
        authorize: "https://www.dropbox.com/oauth2/authorize",
        token: "https://api.dropboxapi.com/oauth2/token",
        scopes: &["account_info.read"],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Post("https://api.dropboxapi.com/2/users/get_current_account"),
        root: "",
        require: None,
        account_id: &["/account_id"],
        name: &["/name/display_name"],
        email: &["/email"],
        image: &["/profile_photo_url"],
        verified: Verified::At("/email_verified"),
        placeholder_email: false,
    },
    Declared {
        id: "atlassian",
        authorize: "https://auth.atlassian.com/authorize",
        token: "https://auth.atlassian.com/oauth/token",
        scopes: &["read:jira-user", "offline_access"],
        pkce: true,
        basic_auth: false,
        params: &[("audience", "api.atlassian.com")],
        no_scope: false,
        fetch: Fetch::Get("https://api.atlassian.com/me", BEARER),
        root: "",
        require: None,
        account_id: &["/account_id"],
        name: &["/name"],
        email: &["/email"],
        image: &["/picture"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "figma",
        authorize: "https://www.figma.com/oauth",
        token: "https://api.figma.com/v1/oauth/token",
        scopes: &["current_user:read"],
        pkce: true,
        basic_auth: true,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://api.figma.com/v1/me", BEARER),
        root: "",
        require: None,
        account_id: &["/id"],
        name: &["/handle"],
        email: &["/email"],
        image: &["/img_url"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "huggingface",
        authorize: "https://huggingface.co/oauth/authorize",
        token: "https://huggingface.co/oauth/token",
        scopes: &["openid", "profile", "email"],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://huggingface.co/oauth/userinfo", BEARER),
        root: "",
        require: None,
        account_id: &["/sub"],
        name: &["/name", "/preferred_username"],
        email: &["/email"],
        image: &["/picture"],
        verified: Verified::At("/email_verified"),
        placeholder_email: false,
    },
    Declared {
        id: "kick",
        authorize: "https://id.kick.com/oauth/authorize",
        token: "https://id.kick.com/oauth/token",
        scopes: &["user:read"],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://api.kick.com/public/v1/users", BEARER),
        root: "/data/0",
        require: None,
        account_id: &["/user_id"],
        name: &["/name"],
        email: &["/email"],
        image: &["/profile_picture"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "notion",
        authorize: "https://api.notion.com/v1/oauth/authorize",
        token: "https://api.notion.com/v1/oauth/token",
        scopes: &[],
        pkce: false,
        basic_auth: true,
        params: &[("owner", "user")],
        no_scope: false,
        fetch: Fetch::Get("https://api.notion.com/v1/users/me", &[("notion-version", "2022-06-28")]),
        root: "/bot/owner/user",
        require: None,
        account_id: &["/id"],
        name: &["/name"],
        email: &["/person/email"],
        image: &["/avatar_url"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "polar",
        authorize: "https://polar.sh/oauth2/authorize",
        token: "https://api.polar.sh/v1/oauth2/token",
        scopes: &["openid", "profile", "email"],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://api.polar.sh/v1/oauth2/userinfo", BEARER),
        root: "",
        require: None,
        account_id: &["/id"],
        name: &["/public_name", "/username"],
        email: &["/email"],
        image: &["/avatar_url"],
        verified: Verified::At("/email_verified"),
        placeholder_email: false,
    },
    Declared {
        id: "railway",
        authorize: "https://backboard.railway.com/oauth/auth",
        token: "https://backboard.railway.com/oauth/token",
        scopes: &["openid", "email", "profile"],
        pkce: true,
        basic_auth: true,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://backboard.railway.com/oauth/me", BEARER),
        root: "",
        require: None,
        account_id: &["/sub"],
        name: &["/name"],
        email: &["/email"],
        image: &["/picture"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "roblox",
        authorize: "https://apis.roblox.com/oauth/v1/authorize",
        token: "https://apis.roblox.com/oauth/v1/token",
        scopes: &["openid", "profile"],
        pkce: false,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://apis.roblox.com/oauth/v1/userinfo", BEARER),
        root: "",
        require: None,
        account_id: &["/sub"],
        name: &["/nickname", "/preferred_username"],
        email: &[],
        image: &["/picture"],
        verified: Verified::Never,
        placeholder_email: true,
    },
    Declared {
        id: "naver",
        authorize: "https://nid.naver.com/oauth2.0/authorize",
        token: "https://nid.naver.com/oauth2.0/token",
        scopes: &["profile", "email"],
        pkce: false,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://openapi.naver.com/v1/nid/me", BEARER),
        root: "/response",
        require: Some(("/resultcode", "00")),
        account_id: &["/id"],
        name: &["/name", "/nickname"],
        email: &["/email"],
        image: &["/profile_image"],
        verified: Verified::Never,
        placeholder_email: false,
    },
    Declared {
        id: "kakao",
        authorize: "https://kauth.kakao.com/oauth/authorize",
        token: "https://kauth.kakao.com/oauth/token",
        scopes: &["account_email", "profile_image", "profile_nickname"],
        pkce: false,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::Get("https://kapi.kakao.com/v2/user/me", BEARER),
        root: "",
        require: None,
        account_id: &["/id"],
        name: &["/kakao_account/profile/nickname", "/kakao_account/name"],
        email: &["/kakao_account/email"],
        image: &["/kakao_account/profile/profile_image_url", "/kakao_account/profile/thumbnail_image_url"],
        verified: Verified::All(&["/kakao_account/is_email_valid", "/kakao_account/is_email_verified"]),
        placeholder_email: false,
    },
    Declared {
        id: "line",
        authorize: "https://access.line.me/oauth2/v2.1/authorize",
        token: "https://api.line.me/oauth2/v2.1/token",
        scopes: &["openid", "profile", "email"],
        pkce: true,
        basic_auth: false,
        params: &[],
        no_scope: false,
        fetch: Fetch::IdToken(Some("https://api.line.me/oauth2/v2.1/userinfo")),
        root: "",
        require: None,
        account_id: &["/sub"],
        name: &["/name"],
        email: &["/email"],
        image: &["/picture"],
        verified: Verified::Never,
        placeholder_email: false,
    },
];

pub fn find(id: &str) -> Option<&'static Declared> {
    DECLARED.iter().find(|d| d.id == id)
}

fn first_text(profile: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| match profile.pointer(p)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl Declared {
    /// Fetches and maps the profile; `None` when the provider gives none.
    pub async fn user_info(&self, access_token: &str, id_token: Option<&str>) -> Option<(Profile, UserInfo)> {
        let answer = match &self.fetch {
            Fetch::Get(url, headers) => get_json(url, access_token, headers).await?,
            Fetch::Post(url) => {
                let response = http().post(*url).header("authorization", format!("Bearer {access_token}")).send().await.ok()?;
                if !response.status().is_success() {
                    return None;
                }
                super::read_json(response).await.ok()?
            }
            Fetch::IdToken(fallback) => match id_token.and_then(decode_jwt_claims) {
                Some(claims) => Value::Object(claims),
                None => get_json(fallback.as_ref()?, access_token, &[]).await?,
            },
        };
        self.map(&answer)
    }

    pub fn map(&self, answer: &Value) -> Option<(Profile, UserInfo)> {
        if let Some((pointer, expected)) = self.require
            && answer.pointer(pointer).and_then(Value::as_str) != Some(expected)
        {
            return None;
        }
        let profile = if self.root.is_empty() { answer } else { answer.pointer(self.root)? };
        let Value::Object(map) = profile else { return None };
        let id = first_text(profile, self.account_id)?;
        let email =
            first_text(profile, self.email).or_else(|| self.placeholder_email.then(|| format!("{id}@{}.placeholder.invalid", self.id)));
        let image = first_text(profile, self.image)
            .map(|url| if self.id == "reddit" { url.split('?').next().unwrap_or_default().to_owned() } else { url });
        let email_verified = match &self.verified {
            Verified::Never => false,
            Verified::At(p) => string_bool(profile.pointer(p)),
            Verified::All(ps) => ps.iter().all(|p| string_bool(profile.pointer(p))),
            Verified::Truthy(p) => profile.pointer(p).is_some_and(crate::validate::is_truthy),
        };
        let info = UserInfo { id, name: first_text(profile, self.name).unwrap_or_default(), email, image, email_verified };
        Some((map.clone(), info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Answers shaped as each provider documents them.
    #[test]
    fn maps_documented_answers() {
        let (_, spotify) = find("spotify").unwrap().map(&json!({ "id": "wizzler", "display_name": "JM Wizzler", "email": "email@example.com", "images": [{ "url": "https://i.scdn.co/image/ab67" }] })).unwrap();
        assert_eq!(
            (spotify.id.as_str(), spotify.name.as_str(), spotify.image.as_deref()),
            ("wizzler", "JM Wizzler", Some("https://i.scdn.co/image/ab67"))
        );
        let (_, slack) = find("slack").unwrap().map(&json!({ "ok": true, "sub": "U0R7JM", "https://slack.com/user_id": "U0R7JM", "email": "krane@slack-corp.com", "email_verified": true, "name": "krane", "https://slack.com/user_image_512": "https://secure.gravatar.com/avatar/512.png" })).unwrap();
        assert_eq!(
            (slack.id.as_str(), slack.email_verified, slack.image.as_deref()),
            ("U0R7JM", true, Some("https://secure.gravatar.com/avatar/512.png"))
        );
        let (_, reddit) = find("reddit").unwrap().map(&json!({ "id": "abc12", "name": "spez", "icon_img": "https://styles.redditmedia.com/t5_1/styles/profileIcon_x.png?width=256&s=1" })).unwrap();
        assert_eq!(
            (reddit.email.as_deref(), reddit.image.as_deref()),
            (Some("abc12@reddit.placeholder.invalid"), Some("https://styles.redditmedia.com/t5_1/styles/profileIcon_x.png"))
        );
        let (_, kakao) = find("kakao").unwrap().map(&json!({ "id": 123456789, "kakao_account": { "profile": { "nickname": "홍길동" }, "email": "sample@sample.com", "is_email_valid": true, "is_email_verified": true } })).unwrap();
        assert_eq!((kakao.id.as_str(), kakao.name.as_str(), kakao.email_verified), ("123456789", "홍길동", true));
        assert!(find("naver").unwrap().map(&json!({ "resultcode": "024", "message": "Authentication failed" })).is_none());
        let (_, naver) = find("naver").unwrap().map(&json!({ "resultcode": "00", "message": "success", "response": { "id": "32742776", "nickname": "OpenAPI", "email": "openapi@naver.com", "profile_image": "https://ssl.pstatic.net/a.png" } })).unwrap();
        assert_eq!((naver.id.as_str(), naver.name.as_str()), ("32742776", "OpenAPI"));
        let (_, notion) = find("notion").unwrap().map(&json!({ "object": "user", "type": "bot", "bot": { "owner": { "type": "user", "user": { "object": "user", "id": "e79a0b74", "name": "Avocado Lovelace", "avatar_url": null, "person": { "email": "avo@example.org" } } } } })).unwrap();
        assert_eq!((notion.id.as_str(), notion.email.as_deref()), ("e79a0b74", Some("avo@example.org")));
        let (_, kick) = find("kick").unwrap().map(&json!({ "data": [{ "user_id": 123, "name": "kicker", "email": "k@example.com", "profile_picture": "https://kick.com/p.png" }], "message": "OK" })).unwrap();
        assert_eq!(kick.id, "123");
        let (_, dropbox) = find("dropbox").unwrap().map(&json!({ "account_id": "dbid:AAH4f99T0taONIb", "name": { "display_name": "Franz Ferdinand (Personal)" }, "email": "franz@dropbox.com", "email_verified": true })).unwrap();
        assert_eq!((dropbox.name.as_str(), dropbox.email_verified), ("Franz Ferdinand (Personal)", true));
        assert!(find("zoom").unwrap().no_scope);
        let (_, zoom) = find("zoom")
            .unwrap()
            .map(&json!({ "id": "KDcuGIm1QgePTO8WbOqwIQ", "display_name": "Jill Chill", "email": "jchill@example.com", "verified": 1 }))
            .unwrap();
        assert!(zoom.email_verified, "Zoom's `verified: 1` counts, as JavaScript's Boolean(1)");
    }
}
