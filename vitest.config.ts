import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "sidecar/src/**/*.test.ts",
      "shared-schema/**/*.test.ts",
      "godot-addon/test/**/*.test.ts",
      "demo-project/tools/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
