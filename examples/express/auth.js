import { betterAuth } from "better-auth-rs";

export const auth = betterAuth({
  database: process.env.DATABASE_URL ?? "sqlite:./auth.db",
  emailAndPassword: { enabled: true },
  trustedOrigins: [process.env.FRONTEND_ORIGIN ?? "http://localhost:5173"],
});
