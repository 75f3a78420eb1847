import Foundation
import PackagePlugin

/// Embeds the commit a target is built from, for `dapr-rocketmq --version`, without a committed
/// generated file: before every build, `git rev-parse --short=12 HEAD` in the package folder
/// writes `BuildCommit.swift` (`let buildCommit = "…"`) into this plugin's work folder.
///
/// Cheap on every build: one `git rev-parse`, and the file is rewritten only when the commit
/// changed, so an unchanged checkout recompiles and relinks nothing. Without git, or without a
/// `.git` in the package folder (a container build context, a source archive), or when git
/// refuses the folder, the commit is `unknown`. The package folder's own `.git` is required so
/// that a checkout nested in another repository never reports the outer one's commit.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let script = #"""
            PATH="/usr/local/bin:/usr/bin:/bin:${PATH:-}"
            commit=unknown
            if [ -e "$1/.git" ]; then
              commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
            fi
            case "$commit" in ""|*[!0-9a-f]*) commit=unknown ;; esac
            line="let buildCommit = \"$commit\""
            mkdir -p "$2"
            [ "$(cat "$2/BuildCommit.swift" 2>/dev/null)" = "$line" ] || printf '%s\n' "$line" > "$2/BuildCommit.swift"
            """#
        return [
            .prebuildCommand(
                displayName: "Embedding the git commit into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "build-commit", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output
            ),
        ]
    }
}
