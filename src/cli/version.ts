/** The version --version prints; test/cli checks it against package.json so a release cannot forget it. */
export const VERSION = '0.1.0';
