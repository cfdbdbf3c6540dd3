"""The completion scripts of `shipyard completion`, one writer a shell, from the parsers' Nodes.

Each script finds the command being typed the same way: the words after `shipyard` that are a
sub-command of the node reached so far (skipping each option's value, and noting -C/--project),
then completes an option's value, an option, a sub-command or the positional arguments.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from shipyard import __version__
from shipyard.cli.common import OPTION
from shipyard.cli.guard import OneLineParser

# the value kinds a script completes (anything else: a list of choices, or "" for free text)
FILE, FOLDER, REPOSITORY, REPOSITORIES = "@file", "@folder", "@repository", "@repositories"
# options and positionals whose values are repository names, by their namespace attribute
NAMES_REPOSITORY = frozenset({"to", "on", "repository"})
NAMES_REPOSITORIES = frozenset({OPTION + "stages"})
FOLDER_NAMES = frozenset({"project", "path", "site_dir"})  # attributes holding a folder
BY_METAVAR = {"PATH": FILE, "FILE": FILE, "DIR": FOLDER}


@dataclass(frozen=True)
class Opt:
    """One option: its spellings, its help, and its value's kind (None: it takes no value)."""

    strings: tuple[str, ...]
    help: str
    kind: str | None


@dataclass(frozen=True)
class Node:
    """One parser: `path` is "" for `shipyard` itself, "release", "ci init"..."""

    path: str
    commands: tuple[tuple[str, str], ...]  # (name, help)
    options: tuple[Opt, ...]
    positional: str  # the value kind of its positional arguments ("" if none or free text)

    def flags(self) -> list[tuple[str, str]]:
        return [(s, o.help) for o in self.options for s in o.strings]

    def values(self) -> list[tuple[str, str]]:
        return [(s, o.kind) for o in self.options if o.kind is not None for s in o.strings]


def value_kind(action: argparse.Action) -> str:
    if action.choices and not isinstance(action.choices, dict):
        return " ".join(str(c) for c in action.choices)
    if action.dest in NAMES_REPOSITORY:
        return REPOSITORY
    if action.dest in NAMES_REPOSITORIES:
        return REPOSITORIES
    if action.dest in FOLDER_NAMES:
        return FOLDER
    return BY_METAVAR.get(str(action.metavar), "")


def nodes(parser: OneLineParser, path: str = "") -> list[Node]:
    """`parser` and every sub-command's parser under it, depth first."""
    options, positional = [], ""
    for action in parser.arguments:
        if action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            kind = None if action.nargs == 0 else value_kind(action)
            options.append(Opt(tuple(action.option_strings), _one_line(action.help or ""), kind))
        else:
            positional = positional or value_kind(action)
    commands = tuple((name, _one_line(text)) for name, (_, text) in parser.commands.items())
    found = [Node(path, commands, tuple(options), positional)]
    for name, (sub, _) in parser.commands.items():
        found += nodes(sub, f"{path} {name}".strip())
    return found


def _one_line(text: str) -> str:
    """A help text as one short line (the shells show it next to the candidate)."""
    text = " ".join(text.replace("%%", "%").split())
    text = text.split(" [env: ")[0]
    return text if len(text) <= 80 else text[:77].rstrip() + "..."


def _names(node: Node) -> str:
    return " ".join(name for name, _ in node.commands)


def _script(template: str, which: str, **parts: str) -> str:
    """`template` with its @NAME@ parts filled, under the line saying what made it."""
    text = template
    for name, part in parts.items():
        text = text.replace(f"@{name.upper()}@", part)
    made = f"# shipyard {__version__}: completion for {which}, made by `shipyard completion {which}`\n"
    first, _, rest = text.partition("\n")
    # zsh's compinit reads `#compdef` on the first line of a file in $fpath
    return f"{first}\n{made}{rest}" if first.startswith("#compdef") else made + text


def _value_cases(nodes: list[Node]) -> str:
    """The `case` arms saying which options take a value, and its kind (bash and zsh alike)."""
    return "\n".join(
        f'        "{n.path}|{option}") _shipyard_kind="{kind}" ;;'
        for n in nodes
        for option, kind in n.values()
    )


def bash(nodes: list[Node]) -> str:
    cases = []
    for n in nodes:
        flags = " ".join(s for s, _ in n.flags())
        names = f'_shipyard_cmds="{_names(n)}"; _shipyard_opts="{flags}"'
        cases.append(f'        "{n.path}") {names}; _shipyard_pos="{n.positional}" ;;')
    return _script(BASH, "bash", nodes="\n".join(cases), values=_value_cases(nodes))


BASH = r"""# load it with: eval "$(shipyard completion bash)"  (in ~/.bashrc), or save it as
# ~/.local/share/bash-completion/completions/shipyard
_shipyard_node() {  # the sub-commands, options and positional arguments' kind of node $1
    case "$1" in
@NODES@
        *) _shipyard_cmds=""; _shipyard_opts=""; _shipyard_pos="" ;;
    esac
}
_shipyard_value() {  # the kind of option $2's value in node $1; status 1: it takes no value
    case "$1|$2" in
@VALUES@
        *) return 1 ;;
    esac
}
_shipyard_complete() {  # COMPREPLY: values of kind $1 for word $2 (project $3)
    local names before=""
    case "$1" in
        @file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
        @folder) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
        @repository|@repositories)
            names="$("${COMP_WORDS[0]}" completion --repositories -C "${3:-.}" 2>/dev/null)"
            if [[ $1 == @repositories && $2 == *,* ]]; then before="${2%,*},"; fi
            mapfile -t COMPREPLY < <(compgen -P "$before" -W "$names" -- "${2##*,}") ;;
        "") COMPREPLY=() ;;
        *) mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2") ;;
    esac
}
_shipyard() {
    local cur="${COMP_WORDS[COMP_CWORD]}" node="" project="" opt="" w i
    local _shipyard_cmds _shipyard_opts _shipyard_pos _shipyard_kind
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if [[ -n $opt ]]; then  # this word is the value of option $opt ("=" split off: skipped)
            [[ $w == "=" ]] && continue
            [[ $opt == -C || $opt == --project ]] && project="$w"
            opt=""
            continue
        fi
        case "$w" in
            --*=*) [[ ${w%%=*} == --project ]] && project="${w#*=}" ;;
            -*) _shipyard_value "$node" "$w" && opt="$w" ;;
            *)
                _shipyard_node "$node"
                if [[ " $_shipyard_cmds " == *" $w "* ]]; then node="${node:+$node }$w"; fi ;;
        esac
    done
    [[ $cur == "=" ]] && cur=""
    if [[ -n $opt ]]; then
        _shipyard_value "$node" "$opt"
        _shipyard_complete "$_shipyard_kind" "$cur" "$project"
        return 0
    fi
    _shipyard_node "$node"
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_shipyard_opts" -- "$cur")
    elif [[ -n $_shipyard_cmds ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_shipyard_cmds" -- "$cur")
    else
        _shipyard_complete "$_shipyard_pos" "$cur" "$project"
    fi
    return 0
}
complete -F _shipyard shipyard
"""


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _described(pairs: list[tuple[str, str]]) -> str:
    return " ".join(_zsh_quote(f"{name.replace(':', chr(92) + ':')}:{text}") for name, text in pairs)


def zsh(nodes: list[Node]) -> str:
    cases = []
    for n in nodes:
        described = (
            f"_shipyard_cmds=({_described(list(n.commands))}); _shipyard_opts=({_described(n.flags())})"
        )
        names = f'_shipyard_names="{_names(n)}"; {described}'
        cases.append(f'        "{n.path}") {names}; _shipyard_pos="{n.positional}" ;;')
    return _script(ZSH, "zsh", nodes="\n".join(cases), values=_value_cases(nodes))


ZSH = r"""#compdef shipyard
# load it with: eval "$(shipyard completion zsh)" after compinit (in ~/.zshrc), or save it as
# _shipyard in a folder of $fpath
_shipyard_node() {
    case "$1" in
@NODES@
        *) _shipyard_names=""; _shipyard_cmds=(); _shipyard_opts=(); _shipyard_pos="" ;;
    esac
}
_shipyard_value() {
    case "$1|$2" in
@VALUES@
        *) return 1 ;;
    esac
}
_shipyard_complete() {  # values of kind $1 (project $2)
    local -a names
    case "$1" in
        @file) _files ;;
        @folder) _files -/ ;;
        @repository|@repositories)
            names=(${(f)"$(${words[1]} completion --repositories -C "${2:-.}" 2>/dev/null)"})
            [[ $1 == @repositories ]] && compset -P '*,'
            compadd -a names ;;
        "") _message value ;;
        *) compadd -- ${=1} ;;
    esac
}
_shipyard() {
    local node="" project="" opt="" w i cur="${words[CURRENT]}"
    local _shipyard_names _shipyard_pos _shipyard_kind
    local -a _shipyard_cmds _shipyard_opts
    for (( i = 2; i < CURRENT; i++ )); do
        w="${words[i]}"
        if [[ -n $opt ]]; then
            [[ $opt == -C || $opt == --project ]] && project="$w"
            opt=""
            continue
        fi
        case "$w" in
            --*=*) [[ ${w%%=*} == --project ]] && project="${w#*=}" ;;
            -*) _shipyard_value "$node" "$w" && opt="$w" ;;
            *)
                _shipyard_node "$node"
                if [[ " $_shipyard_names " == *" $w "* ]]; then node="${node:+$node }$w"; fi ;;
        esac
    done
    if [[ -z $opt && $cur == --*=* ]] && _shipyard_value "$node" "${cur%%=*}"; then
        compset -P '*='
        opt="${cur%%=*}"
    fi
    if [[ -n $opt ]]; then
        _shipyard_value "$node" "$opt"
        _shipyard_complete "$_shipyard_kind" "$project"
        return
    fi
    _shipyard_node "$node"
    if [[ $cur == -* ]]; then
        _describe -t options option _shipyard_opts
    elif (( ${#_shipyard_cmds} )); then
        _describe -t commands command _shipyard_cmds
    else
        _shipyard_complete "$_shipyard_pos" "$project"
    fi
}
if [[ "${funcstack[1]}" == _shipyard ]]; then
    _shipyard "$@"
else
    compdef _shipyard shipyard
fi
"""


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


FISH_VALUES = {
    FILE: "-r -F",
    FOLDER: "-x -a '(__fish_complete_directories (commandline -ct))'",
    REPOSITORY: "-x -a '(__shipyard_repositories)'",
    REPOSITORIES: "-x -a '(__shipyard_repositories ,)'",
    "": "-x",
}


def _fish_option(node: Node, strings: tuple[str, ...], text: str, kind: str | None) -> str:
    names = " ".join(f"-l {s[2:]}" if s.startswith("--") else f"-s {s[1:]}" for s in strings)
    value = "" if kind is None else " " + FISH_VALUES.get(kind, f"-x -a {_fish_quote(kind)}")
    at = _fish_quote(f"__shipyard_at {node.path!r}")
    return f"complete -c shipyard -n {at} {names}{value} -d {_fish_quote(text)}"


def fish(nodes: list[Node]) -> str:
    lines = []
    for n in nodes:
        at = _fish_quote(f"__shipyard_at {n.path!r}")
        lines += [
            f"complete -c shipyard -n {at} -a {name} -d {_fish_quote(text)}" for name, text in n.commands
        ]
        lines += [_fish_option(n, o.strings, o.help, o.kind) for o in n.options]
        if n.positional and not n.commands:
            value = (
                FISH_VALUES.get(n.positional, f"-a {_fish_quote(n.positional)}")
                .replace("-x ", "")
                .replace("-r ", "")
            )
            lines.append(f"complete -c shipyard -n {at} {value}")
    commands = "\n".join(f'        case "{n.path}"\n            echo {_names(n) or "-"}' for n in nodes)
    values = "\n".join(
        f"        case {_fish_quote(f'{n.path}|{option}')}\n            return 0"
        for n in nodes
        for option, _ in n.values()
    )
    return _script(FISH, "fish", commands=commands, values=values) + "\n".join(lines) + "\n"


FISH = r"""# load it with: shipyard completion fish | source  (in ~/.config/fish/config.fish), or save it as
# ~/.config/fish/completions/shipyard.fish
function __shipyard_commands  # the sub-commands of node $argv[1]
    switch "$argv[1]"
@COMMANDS@
    end
end
function __shipyard_takes  # status 0: option $argv[2] of node $argv[1] takes a value
    switch "$argv[1]|$argv[2]"
@VALUES@
    end
    return 1
end
function __shipyard_walk  # the node the command line reached, then the project folder (-C)
    set -l words (commandline -opc)
    if test "$words" = "$__shipyard_walked_words"  # asked once per TAB, not once per condition
        printf '%s\n' $__shipyard_walked
        return
    end
    set -g __shipyard_walked_words "$words"
    set -e words[1]
    set -l node ""
    set -l project .
    set -l opt ""
    for w in $words
        if test -n "$opt"
            contains -- $opt -C --project; and set project $w
            set opt ""
            continue
        end
        switch $w
            case '--project=*'
                set project (string replace -- --project= '' $w)
            case '--*=*'
            case '-*'
                __shipyard_takes "$node" $w; and set opt $w
            case '*'
                contains -- $w (string split ' ' -- (__shipyard_commands "$node"))
                and set node (string trim -- "$node $w")
        end
    end
    set -g __shipyard_walked $node $project
    printf '%s\n' $__shipyard_walked
end
function __shipyard_at  # status 0: the command line is at node $argv[1]
    test (__shipyard_walk)[1] = "$argv[1]"
end
function __shipyard_repositories  # the project's repository names (after the commas typed, with $argv[1])
    set -l before ""
    if test -n "$argv[1]"
        set before (string match -r '^.*,' -- (commandline -ct | string replace -r '^--[^=]*=' ''))
    end
    set -l cmd (commandline -opc)[1]
    for name in ($cmd completion --repositories -C (__shipyard_walk)[2] 2>/dev/null)
        echo $before$name
    end
end
complete -c shipyard -f
"""

SCRIPTS: dict[str, Callable[[list[Node]], str]] = {"bash": bash, "zsh": zsh, "fish": fish}
