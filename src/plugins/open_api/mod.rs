//! `openAPI` (upstream's `packages/better-auth/src/plugins/open-api`): an OpenAPI 3.1 document
//! of every endpoint in the endpoint table (core and plugins), and a Scalar reference page.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::db::schema::{Kind, TABLES, Table};
use crate::error::ApiError;
use crate::fields::{FieldDef, FieldDefault, FieldType};
use crate::handler;
use crate::options::OptionsError;
use crate::plugins::{Plugin, PluginOptions};
use crate::routes::{Endpoint, Reply};

const ID: &str = "open-api";
const THEMES: &[&str] =
    &["alternate", "default", "moon", "purple", "solarized", "bluePlanet", "saturn", "kepler", "mars", "deepSpace", "laserwave", "none"];

struct Options {
    disable_reference: bool,
    theme: String,
    nonce: Option<String>,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let path = options.string("path")?.unwrap_or_else(|| "/reference".to_owned());
    if !path.starts_with('/') {
        return Err(options.invalid("path", "expected a path starting with /"));
    }
    let state = Options {
        disable_reference: options.bool("disableDefaultReference")?.unwrap_or(false),
        theme: options.choice("theme", THEMES)?.unwrap_or_else(|| "default".to_owned()),
        nonce: options.string("nonce")?,
    };
    let mut plugin = Plugin::new(ID);
    // The page's path is an option; one small string per instance lives as long as the process.
    let path: &'static str = Box::leak(path.into_boxed_str());
    plugin.endpoints = vec![
        Endpoint::new("generateOpenAPISchema", "/open-api/generate-schema", &["GET"], handler!(generate_schema)),
        Endpoint::new("openAPIReference", path, &["GET"], handler!(reference)),
    ];
    plugin.state = Arc::new(state);
    Ok(plugin)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>(ID).expect("open-api plugin state")
}

async fn generate_schema(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::Json(document(call)))
}

/// The reference page, as upstream's `getHTML` (the favicon aside).
async fn reference(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let o = options(call);
    if o.disable_reference {
        return Err(ApiError::empty(404));
    }
    let nonce = o.nonce.as_ref().map(|n| format!("nonce=\"{}\"", n.replace('"', "&quot;"))).unwrap_or_default();
    // `</` cannot end the JSON script early.
    let schema = document(call).to_string().replace("</", "<\\/");
    let html = format!(
        r#"<!doctype html>
<html>
  <head>
    <title>Scalar API Reference</title>
    <meta charset="utf-8" />
    <meta
      name="viewport"
      content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script
      id="api-reference"
      type="application/json">
    {schema}
    </script>
	 <script {nonce}>
      var configuration = {{
	   	theme: "{theme}",
        metaData: {{
			title: "Better Auth API",
			description: "API Reference for your Better Auth Instance",
		}}
      }}

      document.getElementById('api-reference').dataset.configuration =
        JSON.stringify(configuration)
    </script>
	  <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference" {nonce}></script>
  </body>
</html>"#,
        theme = o.theme
    );
    Ok(Reply::Raw { status: 200, headers: vec![("content-type".into(), "text/html".into())], body: html.into_bytes(), json: false })
}

fn error_response(description: &str, required: bool) -> Value {
    let mut schema = json!({ "type": "object", "properties": { "message": { "type": "string" } } });
    if required {
        schema["required"] = json!(["message"]);
    }
    json!({ "content": { "application/json": { "schema": schema } }, "description": description })
}

fn responses(endpoint: &Endpoint) -> Value {
    let mut all = json!({
        "200": { "description": "Success", "content": { "application/json": { "schema": { "type": "object" } } } },
        "400": error_response("Bad Request. Usually due to missing parameters, or invalid parameters.", true),
        "401": error_response("Unauthorized. Due to missing or invalid authentication.", true),
        "403": error_response("Forbidden. You do not have permission to access this resource or to perform this action.", false),
        "404": error_response("Not Found. The requested resource was not found.", false),
        "429": error_response("Too Many Requests. You have exceeded the rate limit. Try again later.", false),
        "500": error_response("Internal Server Error. This is a problem with the server that you cannot fix.", false),
    });
    if !endpoint.doc.unprocessable.is_empty() {
        all["422"] = error_response(endpoint.doc.unprocessable, false);
    }
    all
}

fn kind_schema(kind: Kind) -> Value {
    match kind {
        Kind::Id | Kind::UserRef | Kind::Text | Kind::ShortText => json!({ "type": "string" }),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Date => json!({ "type": "string", "format": "date-time" }),
        Kind::Int | Kind::BigInt => json!({ "type": "number" }),
        Kind::Json => json!({ "type": "json" }),
    }
}

/// An additional (or plugin) field's schema, as upstream's generator writes it.
fn field_schema(field: &FieldDef, for_body: bool) -> Value {
    let mut schema = match &field.field_type {
        FieldType::String => json!({ "type": "string" }),
        FieldType::Number => json!({ "type": "number" }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Date => json!({ "type": "string", "format": "date-time" }),
        FieldType::Json if for_body => json!({}),
        FieldType::Json => json!({ "type": "json" }),
        FieldType::StringArray => json!({ "type": "array", "items": { "type": "string" } }),
        FieldType::NumberArray => json!({ "type": "array", "items": { "type": "number" } }),
        FieldType::Enum(values) if for_body => json!({ "type": "string", "enum": values }),
        FieldType::Enum(values) => json!({ "type": values }),
    };
    if let Some(FieldDefault::Value(v)) = &field.default {
        schema["default"] = v.clone();
    }
    if !for_body && !field.input {
        schema["readOnly"] = json!(true);
    }
    schema
}

/// `components.schemas`: each table under its model name, capitalized.
fn model_schemas(call: &Call<'_>) -> Map<String, Value> {
    let ctx = call.ctx;
    let mut tables: Vec<&Table> = TABLES
        .iter()
        .filter(|t| t.name != "verification" || ctx.options.secondary_storage.is_none() || ctx.options.verifications_in_database)
        .collect();
    let plugin_tables: Vec<&Table> = ctx.options.plugins.iter().flat_map(|p| p.tables.iter()).collect();
    tables.extend(plugin_tables);
    if ctx.options.rate_limit.storage == crate::options::RateLimitStorage::Database {
        tables.push(&crate::db::schema::RATE_LIMIT_TABLE);
    }
    let mut schemas = Map::new();
    for table in tables {
        let model = table.name.as_ref();
        let mut properties = Map::new();
        let mut required = vec![json!("id")];
        properties.insert("id".into(), json!({ "type": "string", "readOnly": true }));
        for column in table.columns.iter().filter(|c| c.name != "id") {
            let mut schema = kind_schema(column.kind);
            if let Some(default) = column.doc.default.and_then(|d| serde_json::from_str::<Value>(d).ok()) {
                schema["default"] = default;
            }
            if column.doc.read_only {
                schema["readOnly"] = json!(true);
            }
            properties.insert(column.name.to_string(), schema);
            if column.required && !column.doc.not_returned {
                required.push(json!(column.name));
            }
        }
        let fields: &[FieldDef] = match model {
            "user" => &ctx.options.user_fields,
            "session" => &ctx.options.session_fields,
            _ => &[],
        };
        for field in fields {
            properties.insert(field.name.clone(), field_schema(field, false));
            if field.required == Some(true) && field.returned {
                required.push(json!(field.name));
            }
        }
        let mut name = model.to_owned();
        name[..1].make_ascii_uppercase();
        schemas.insert(name, json!({ "type": "object", "properties": properties, "required": required }));
    }
    schemas
}

/// `name:type name?:type` → `(properties, required names)`.
fn parse_fields(spec: &str) -> (Map<String, Value>, Vec<Value>) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for item in spec.split_whitespace() {
        let Some((name, kind)) = item.split_once(':') else { continue };
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, false),
        };
        properties.insert(name.to_owned(), json!({ "type": kind }));
        if !optional {
            required.push(json!(name));
        }
    }
    (properties, required)
}

fn operation(call: &Call<'_>, endpoint: &Endpoint, method: &str, seen: &mut HashSet<String>) -> Value {
    let doc = &endpoint.doc;
    let mut op = Map::new();
    let tag = match endpoint.plugin {
        None => "Default".to_owned(),
        Some(id) => {
            let mut tag = id.to_owned();
            tag[..1].make_ascii_uppercase();
            tag
        }
    };
    op.insert("tags".into(), json!([tag]));
    if !doc.description.is_empty() {
        op.insert("description".into(), json!(doc.description));
    }
    if !doc.operation_id.is_empty() {
        // Upstream's dedup: `getSession`, then `getSessionPost`, then `getSessionPost2`, ...
        let mut id = doc.operation_id.to_owned();
        if seen.contains(&id) {
            let mut suffixed = format!("{id}{}{}", &method[..1], method[1..].to_ascii_lowercase());
            let mut n = 2;
            while seen.contains(&suffixed) {
                suffixed = format!("{id}{}{}{n}", &method[..1], method[1..].to_ascii_lowercase());
                n += 1;
            }
            id = suffixed;
        }
        seen.insert(id.clone());
        op.insert("operationId".into(), json!(id));
    }
    op.insert("security".into(), json!([{ "bearerAuth": [] }]));
    let (query, _) = parse_fields(doc.query);
    let mut parameters: Vec<Value> = query
        .into_iter()
        .map(|(name, schema)| match name.strip_suffix('!') {
            Some(name) => json!({ "name": name, "in": "query", "required": true, "schema": schema }),
            None => json!({ "name": name, "in": "query", "schema": schema }),
        })
        .collect();
    for segment in endpoint.path.split('/').filter_map(|s| s.strip_prefix(':')) {
        parameters.push(json!({ "name": segment, "in": "path", "required": true, "schema": { "type": "string" } }));
    }
    op.insert("parameters".into(), json!(parameters));
    if method != "GET" && method != "DELETE" {
        let body = match doc.body {
            Some(spec) => {
                let (mut properties, mut required) = parse_fields(spec);
                // Sign-up and update-user take the user's additional and plugin fields too.
                if endpoint.plugin.is_none() && (endpoint.path == "/sign-up/email" || endpoint.path == "/update-user") {
                    for field in call.ctx.options.user_fields.iter().filter(|f| f.input) {
                        properties.entry(field.name.clone()).or_insert_with(|| field_schema(field, true));
                        if endpoint.path == "/sign-up/email" && field.required == Some(true) && field.default.is_none() {
                            required.push(json!(field.name));
                        }
                    }
                }
                let mut schema = json!({ "type": "object", "properties": properties });
                if !required.is_empty() {
                    schema["required"] = json!(required);
                }
                let mut body = json!({ "content": { "application/json": { "schema": schema } } });
                if let Some(r) = doc.body_required {
                    body["required"] = json!(r);
                }
                Some(body)
            }
            None if endpoint.plugin.is_none() => {
                Some(json!({ "content": { "application/json": { "schema": { "type": "object", "properties": {} } } } }))
            }
            None => None,
        };
        if let Some(body) = body {
            op.insert("requestBody".into(), body);
        }
    }
    op.insert("responses".into(), responses(endpoint));
    Value::Object(op)
}

fn document(call: &Call<'_>) -> Value {
    let mut paths = Map::new();
    let mut seen = HashSet::new();
    // As upstream's generator (plugins/open-api/generator.ts): the core's endpoints as the core
    // declares them, then plugins' under names the core does not have (customSession's
    // `getSession` leaves the core's GET and POST /get-session documented).
    let core = crate::plugins::core_table();
    let core_names: HashSet<&str> = core.iter().map(|e| e.api_name).collect();
    let from_plugins =
        call.ctx.options.plugins.endpoints().iter().filter(|e| e.plugin.is_some_and(|p| p != ID) && !core_names.contains(e.api_name));
    let endpoints = core.iter().chain(from_plugins).filter(|e| !e.path.is_empty());
    for endpoint in endpoints {
        let key = endpoint
            .path
            .split('/')
            .map(|s| s.strip_prefix(':').map_or_else(|| s.to_owned(), |p| format!("{{{p}}}")))
            .collect::<Vec<_>>()
            .join("/");
        let mut methods: Vec<&str> = endpoint.methods.to_vec();
        // Reads first, as upstream writes them (it decides which operationId gets a suffix).
        methods.sort_by_key(|m| !matches!(*m, "GET" | "DELETE"));
        let item = paths.entry(key).or_insert_with(|| json!({}));
        for method in methods {
            item[method.to_ascii_lowercase()] = operation(call, endpoint, method, &mut seen);
        }
    }
    json!({
        "openapi": "3.1.1",
        "info": { "title": "Better Auth", "description": "API Reference for your Better Auth Instance", "version": "1.1.0" },
        "components": {
            "schemas": model_schemas(call),
            "securitySchemes": {
                "apiKeyCookie": { "type": "apiKey", "in": "cookie", "name": "apiKeyCookie", "description": "API Key authentication via cookie" },
                "bearerAuth": { "type": "http", "scheme": "bearer", "description": "Bearer token authentication" },
            },
        },
        "security": [{ "apiKeyCookie": [], "bearerAuth": [] }],
        "servers": [{ "url": call.base_url() }],
        "tags": [{ "name": "Default", "description": "Default endpoints that are included with Better Auth by default. These endpoints are not part of any plugin." }],
        "paths": paths,
    })
}
