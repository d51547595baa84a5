# bash completion for llmr
_llmr() {
    local cur prev words cword
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    local commands="ask help"
    local ask_opts="-m --model -r --route -t --task -s --system --max-tokens --temperature --seed --stream --no-stdin --json --config -v --verbose --color -h --help"

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case "${COMP_WORDS[1]}" in
        help)
            COMPREPLY=($(compgen -W "ask" -- "$cur"))
            ;;
        ask)
            case "$prev" in
                --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
                -t|--task) COMPREPLY=($(compgen -W "chat code reasoning creative analysis" -- "$cur")); return ;;
                -m|--model|-r|--route|-s|--system|--max-tokens|--temperature|--seed) return ;;
            esac
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "$ask_opts" -- "$cur"))
            fi
            ;;
    esac
}
complete -F _llmr llmr
