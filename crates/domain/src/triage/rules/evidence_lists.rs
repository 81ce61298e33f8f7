//! The built-in lists the evidence rules (`evidence.rs`) search for: phrases of steps,
//! proofs of concept and analysis, substrings of crafted payloads, command names, source
//! file extensions. Built in rather than policy data because they describe what any
//! genuine report looks like, not what one organisation calls noise.

/// Phrases of steps to reproduce.
pub const STEPS: &[&str] = &[
    "steps to reproduce",
    "to reproduce",
    "reproduction steps",
    "how to reproduce",
    "repro steps",
    "reproducer",
    "step 1",
];

/// Phrases that only a stack trace or crash report contains.
pub const STACK_PHRASES: &[&str] = &[
    "exception in thread",
    "panicked at",
    "addresssanitizer",
    "segmentation fault",
];

/// Phrases naming a proof of concept (weak: "PoC available on request" is common).
pub const PROOF: &[&str] = &[
    "proof of concept",
    "poc",
    "exploit code",
    "exploit script",
    "working exploit",
    "attached script",
];

/// What someone who looked at the code or ran the attack writes: first-person
/// verification, reachability, the cause in the code, a fix.
pub const ANALYSIS: &[&str] = &[
    "i was able to",
    "we were able to",
    "i confirmed",
    "we confirmed",
    "i verified",
    "we verified",
    "i reproduced",
    "we reproduced",
    "reproduced on",
    "reproduced with",
    "tested on",
    "tested against",
    "i tested",
    "we tested",
    "i ran",
    "we ran",
    "i downloaded",
    "in my test",
    "my test instance",
    "local install",
    "local installation",
    "my own installation",
    "root cause",
    "is reachable",
    "reachable from",
    "code path",
    "call path",
    "call chain",
    "gadget chain",
    "is passed to",
    "is passed directly",
    "are passed to",
    "passed unsanitized",
    "is concatenated",
    "without checking",
    "never checks",
    "suggested fix",
    "proposed fix",
    "patch attached",
    "attached patch",
    "the following request",
    "the following payload",
    "the following code",
    "the following command",
];

/// Substrings of crafted inputs (searched in the lowercased text; ASCII only).
pub const PAYLOADS: &[&str] = &[
    "../../",
    "..\\..\\",
    "..%2f",
    "%2e%2e",
    "..;/",
    "%252e",
    "${jndi:",
    "${env:",
    "${sys:",
    "${script:",
    "${dns:",
    "${url:",
    "<!entity",
    "file:///",
    "/etc/passwd",
    "/etc/shadow",
    "c:\\windows\\",
    "win.ini",
    "/proc/self/",
    "169.254.169.254",
    "metadata.google.internal",
    "gopher://",
    "dict://",
    "ldap://",
    "rmi://",
    "jar:file:",
    "<script",
    "javascript:",
    "onerror=",
    "onload=",
    "alert(",
    "document.cookie",
    "' or '1'='1",
    "' or 1=1",
    "\" or 1=1",
    "union select",
    "sleep(",
    "waitfor delay",
    "pg_sleep",
    "ro0ab",
    "aced0005",
    "ysoserial",
    "marshalsec",
    "%0d%0a",
    "\\r\\n",
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "whoami",
    "/bin/sh",
    "bash -i",
    "nc -e",
    "cmd.exe",
    "calc.exe",
    "touch /tmp/",
    "getruntime().exec",
    "processbuilder(",
    "(a+)+",
    "(a|a)*",
    "(.*)*",
    "(.*a){",
    "aaaaaaaaaaaaaaaaaaaaaaaa",
    "\\u0000",
    "%00",
    "x-forwarded-host:",
    "__proto__",
    "constructor.prototype",
    "<svg",
    "<img src=",
];

/// Lines beginning with one of these are shell commands.
pub const COMMANDS: &[&str] = &[
    "$ ", "curl ", "wget ", "python ", "python3 ", "java -", "./", "bin/", "docker ", "kubectl ",
    "nc ", "ncat ", "openssl ", "echo ", "printf ", "helm ", "mvn ", "gradle ",
];

/// Request lines start with a method (matched lowercased) and a path or URL.
pub const HTTP_METHODS: &[&str] = &[
    "get ", "post ", "put ", "delete ", "patch ", "head ", "options ",
];

/// File extensions of source code (a `.jar` is an artefact, not a code location).
pub const SOURCE_EXTENSIONS: &[&str] = &[
    ".java", ".kt", ".scala", ".groovy", ".py", ".go", ".rs", ".c", ".cc", ".cpp", ".h", ".js",
    ".ts", ".jsx", ".tsx", ".rb", ".php", ".jsp", ".cs", ".swift",
];

/// Product names that end like source files.
pub const NOT_FILES: &[&str] = &[
    "node.js",
    "next.js",
    "vue.js",
    "react.js",
    "express.js",
    "retire.js",
    "three.js",
    "d3.js",
    "chart.js",
    "nuxt.js",
    "angular.js",
    "ember.js",
];
