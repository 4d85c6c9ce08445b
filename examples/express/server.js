// Better Auth's Express guide, with better-auth-rs's import names.
import express from "express";
import cors from "cors";
import { toNodeHandler, fromNodeHeaders } from "better-auth-rs/node";
import { auth } from "./auth.js";

const app = express();
const port = Number(process.env.PORT ?? 3005);

app.use(
  cors({
    origin: process.env.FRONTEND_ORIGIN ?? "http://localhost:5173",
    methods: ["GET", "POST", "PUT", "DELETE"],
    credentials: true,
  }),
);

app.all("/api/auth/*splat", toNodeHandler(auth)); // Express 4: "/api/auth/*"

// Mount express.json() after the auth handler, as the guide says.
app.use(express.json());

app.get("/api/me", async (req, res) => {
  const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
  return res.json(session);
});

const server = app.listen(port, () => {
  const url = `http://localhost:${server.address().port}`;
  console.log(`better-auth-rs example listening on ${url} (try GET ${url}/api/auth/ok)`);
});
