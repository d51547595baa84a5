# fish completion for llmr
complete -c llmr -f
complete -c llmr -n __fish_use_subcommand -a ask -d 'send one prompt through the router and print the answer'
complete -c llmr -n __fish_use_subcommand -a chat -d 'a conversation that survives provider failures (a REPL on a terminal)'
complete -c llmr -n __fish_use_subcommand -a route -d 'show the routing plan for a prompt, without sending anything'
complete -c llmr -n __fish_use_subcommand -a providers -d 'list providers and their health; check, stats, reset, prune'
complete -c llmr -n __fish_use_subcommand -a bench -d 'measure providers and models side by side'
complete -c llmr -n __fish_use_subcommand -a budget -d 'show each budget: what was spent, what is reserved, what is left'
complete -c llmr -n __fish_use_subcommand -a models -d 'list known models with prices and context windows'
complete -c llmr -n __fish_use_subcommand -a help -d 'show help for llmr or a command'
complete -c llmr -n __fish_use_subcommand -l help -s h -d 'show help'
complete -c llmr -n __fish_use_subcommand -l version -d 'print the version'
complete -c llmr -n '__fish_seen_subcommand_from help' -a 'ask chat route providers bench budget models'

# Options ask, chat and route share.
set -l both '__fish_seen_subcommand_from ask chat route'
complete -c llmr -n $both -s m -l model -r -d 'a catalog model or provider/model-id'
complete -c llmr -n $both -s r -l route -r -d 'the route to use'
complete -c llmr -n $both -s t -l task -x -a 'chat code reasoning creative analysis' -d 'pick the route for a task'
complete -c llmr -n $both -s s -l system -r -d 'a system prompt'
complete -c llmr -n $both -l max-tokens -x -d 'the most tokens the answer may have'
complete -c llmr -n $both -l temperature -x -d 'sampling temperature, 0 to 2'
complete -c llmr -n $both -l max-cost -x -d 'skip candidates whose worst case would pass this, in USD'
complete -c llmr -n $both -l seed -x -d 'seed for weighted picks and jitter'
complete -c llmr -n $both -l tag -x -d 'count this request under budgets scoped by this tag'
complete -c llmr -n $both -l no-stdin -d 'never read stdin'
complete -c llmr -n $both -l config -r -F -d 'the config file'
complete -c llmr -n $both -l color -x -a 'auto always never' -d 'colour on stderr'
complete -c llmr -n $both -l json -d 'print one JSON object'
complete -c llmr -n $both -s h -l help -d 'show help'

# ask only.
complete -c llmr -n '__fish_seen_subcommand_from ask' -l stream -d 'write the answer live even into a pipe'
complete -c llmr -n '__fish_seen_subcommand_from ask' -s v -l verbose -d 'print the plan and every attempt on stderr'

# ask and chat: sessions.
set -l sess '__fish_seen_subcommand_from ask chat'
complete -c llmr -n $sess -s c -l continue -d 'continue the most recent chat session'
complete -c llmr -n $sess -l session -x -d 'continue or start the chat session NAME'

# chat only.
complete -c llmr -n '__fish_seen_subcommand_from chat' -l list -d 'list the saved sessions'
complete -c llmr -n '__fish_seen_subcommand_from chat' -l export -x -d 'print a saved session as Markdown (or JSON)'
complete -c llmr -n '__fish_seen_subcommand_from chat' -s v -l verbose -d 'print the plan and every attempt; footers when piped'

# providers.
set -l prov '__fish_seen_subcommand_from providers'
complete -c llmr -n "$prov; and not __fish_seen_subcommand_from list check stats reset prune" -a 'list check stats reset prune'
complete -c llmr -n $prov -l watch -d 'check: probe again every health.interval'
complete -c llmr -n $prov -l count -x -d 'check --watch: stop after N rounds'
complete -c llmr -n $prov -l older-than -x -d 'prune: delete attempts older than this'
complete -c llmr -n $prov -l since -x -d 'stats: the period to count'
complete -c llmr -n $prov -l route -x -d "stats: only this route's attempts"
complete -c llmr -n $prov -l csv -d 'stats: print CSV'
complete -c llmr -n $prov -l bench -d "stats: count llmr bench's requests too"
complete -c llmr -n $prov -l json -d 'print JSON instead of a table'
complete -c llmr -n $prov -l config -r -F -d 'the config file'
complete -c llmr -n $prov -l color -x -a 'auto always never' -d 'colour on stderr'
complete -c llmr -n $prov -s h -l help -d 'show help'

# bench.
set -l bench '__fish_seen_subcommand_from bench'
complete -c llmr -n $bench -s r -l route -x -d 'the route whose targets to measure'
complete -c llmr -n $bench -l direct -d 'each target alone: no retries, no fallback'
complete -c llmr -n $bench -l via-router -d 'every request through the route'
complete -c llmr -n $bench -s c -l concurrency -x -d 'closed loop: N requests in flight per target'
complete -c llmr -n $bench -l rate -x -d 'open loop: requests per second per target'
complete -c llmr -n $bench -l arrival -x -a 'poisson constant' -d 'open loop: how requests arrive'
complete -c llmr -n $bench -l max-concurrency -x -d 'open loop: at most N in flight'
complete -c llmr -n $bench -s n -l requests -x -d 'requests per target'
complete -c llmr -n $bench -l duration -x -d 'run for a duration instead of -n'
complete -c llmr -n $bench -l warmup -x -d 'requests sent first and left out'
complete -c llmr -n $bench -l timeout -x -d 'the most one request may take'
complete -c llmr -n $bench -l prompt -x -d 'the prompt of every request'
complete -c llmr -n $bench -l prompts -r -F -d 'prompts, one a line (JSONL)'
complete -c llmr -n $bench -l prompt-tokens -x -d 'synthetic prompts of about N tokens'
complete -c llmr -n $bench -l shared-prefix -d 'no random prefix'
complete -c llmr -n $bench -s s -l system -x -d 'a system prompt'
complete -c llmr -n $bench -l max-tokens -x -d 'the most tokens an answer may have'
complete -c llmr -n $bench -l temperature -x -d 'sampling temperature'
complete -c llmr -n $bench -l no-stream -d 'measure whole responses'
complete -c llmr -n $bench -l seed -x -d 'seed of the schedule and prompts'
complete -c llmr -n $bench -l slo -x -d 'goodput objectives: ttft=500ms,tpot=50ms,e2e=10s'
complete -c llmr -n $bench -l fail-if -x -d "exit 1 when EXPR holds, such as 'p95(ttft)>800ms'"
complete -c llmr -n $bench -l max-cost -x -d 'refuse a run whose worst case costs more'
complete -c llmr -n $bench -l yes -d 'run even when the worst case is over 1 USD'
complete -c llmr -n $bench -l json -d 'print llmr.bench/1'
complete -c llmr -n $bench -l csv -d 'one row per request'
complete -c llmr -n $bench -s q -l quiet -d 'no progress'
complete -c llmr -n $bench -l config -r -F -d 'the config file'
complete -c llmr -n $bench -l color -x -a 'auto always never' -d 'colour on stderr'
complete -c llmr -n $bench -s h -l help -d 'show help'

# budget and models.
set -l gov '__fish_seen_subcommand_from budget models'
complete -c llmr -n $gov -l json -d 'print one JSON object'
complete -c llmr -n $gov -l config -r -F -d 'the config file'
complete -c llmr -n $gov -l color -x -a 'auto always never' -d 'colour on stderr'
complete -c llmr -n $gov -s h -l help -d 'show help'
