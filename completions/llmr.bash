# bash completion for llmr
_llmr() {
    local cur prev
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    local commands="ask chat route providers bench budget models cache serve help"
    local shared="-m --model -r --route -t --task -s --system --max-tokens --temperature --max-cost --seed --tag --no-stdin --config --color -h --help"
    local ask_opts="$shared -c --continue --session --stream --json -v --verbose --schema --cache --no-cache"
    local chat_opts="-m --model -r --route -t --task -s --system --max-tokens --temperature --max-cost --seed --tag --config --color -h --help -c --continue --session --list --export --json -v --verbose --schema --cache --no-cache"
    local route_opts="$shared --json"
    local providers_opts="--watch --count --older-than --since --route --csv --bench --json --config --color -h --help"
    local bench_opts="-r --route --direct --via-router -c --concurrency --rate --arrival --max-concurrency -n --requests --duration --warmup --timeout --prompt --prompts --prompt-tokens --shared-prefix -s --system --max-tokens --temperature --schema --no-stream --seed --slo --fail-if --max-cost --yes --json --csv -q --quiet --config --color -h --help"

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case "${COMP_WORDS[1]}" in
        help)
            COMPREPLY=($(compgen -W "ask chat route providers bench budget models cache serve" -- "$cur"))
            ;;
        serve)
            case "$prev" in
                --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --listen) return ;;
                --log) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
            esac
            COMPREPLY=($(compgen -W "--listen --log --config -h --help" -- "$cur"))
            ;;
        cache)
            case "$prev" in
                --config|export|import) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
                --older-than|--count) return ;;
            esac
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "stats list clear prune export import" -- "$cur"))
            elif [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "--older-than --count --json --config --color -h --help" -- "$cur"))
            fi
            ;;
        budget|models)
            case "$prev" in
                --config|--from) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
            esac
            if [ "${COMP_WORDS[1]}" = models ] && [ "$COMP_CWORD" -eq 2 ] && [[ "$cur" != -* ]]; then
                COMPREPLY=($(compgen -W "update" -- "$cur"))
            elif [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "--json --from --config --color -h --help" -- "$cur"))
            fi
            ;;
        providers)
            case "$prev" in
                --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
                --count|--older-than|--since|--route) return ;;
            esac
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "list check stats reset prune $providers_opts" -- "$cur"))
            elif [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "$providers_opts" -- "$cur"))
            fi
            ;;
        bench)
            case "$prev" in
                --config|--prompts|--schema) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
                --arrival) COMPREPLY=($(compgen -W "poisson constant" -- "$cur")); return ;;
                -r|--route|-c|--concurrency|--rate|--max-concurrency|-n|--requests|--duration|--warmup|--timeout|--prompt|--prompt-tokens|-s|--system|--max-tokens|--temperature|--seed|--slo|--fail-if|--max-cost) return ;;
            esac
            COMPREPLY=($(compgen -W "$bench_opts" -- "$cur"))
            ;;
        chat)
            case "$prev" in
                --config|--schema) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
                -t|--task) COMPREPLY=($(compgen -W "chat code reasoning creative analysis" -- "$cur")); return ;;
                --cache) COMPREPLY=($(compgen -W "off read-write read-only write-only" -- "$cur")); return ;;
                -m|--model|-r|--route|-s|--system|--max-tokens|--temperature|--max-cost|--seed|--tag|--session|--export) return ;;
            esac
            COMPREPLY=($(compgen -W "$chat_opts" -- "$cur"))
            ;;
        ask|route)
            case "$prev" in
                --config|--schema) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
                -t|--task) COMPREPLY=($(compgen -W "chat code reasoning creative analysis" -- "$cur")); return ;;
                --cache) COMPREPLY=($(compgen -W "off read-write read-only write-only" -- "$cur")); return ;;
                -m|--model|-r|--route|-s|--system|--max-tokens|--temperature|--max-cost|--seed|--tag|--session) return ;;
            esac
            if [[ "$cur" == -* ]]; then
                if [ "${COMP_WORDS[1]}" = ask ]; then
                    COMPREPLY=($(compgen -W "$ask_opts" -- "$cur"))
                else
                    COMPREPLY=($(compgen -W "$route_opts" -- "$cur"))
                fi
            fi
            ;;
    esac
}
complete -F _llmr llmr
