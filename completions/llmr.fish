# fish completion for llmr
complete -c llmr -f
complete -c llmr -n __fish_use_subcommand -a ask -d 'send one prompt through the router and print the answer'
complete -c llmr -n __fish_use_subcommand -a help -d 'show help for llmr or a command'
complete -c llmr -n __fish_use_subcommand -l help -s h -d 'show help'
complete -c llmr -n __fish_use_subcommand -l version -d 'print the version'
complete -c llmr -n '__fish_seen_subcommand_from help' -a ask

complete -c llmr -n '__fish_seen_subcommand_from ask' -s m -l model -r -d 'a catalog model or provider/model-id'
complete -c llmr -n '__fish_seen_subcommand_from ask' -s r -l route -r -d 'the route to use'
complete -c llmr -n '__fish_seen_subcommand_from ask' -s t -l task -x -a 'chat code reasoning creative analysis' -d 'pick the route for a task'
complete -c llmr -n '__fish_seen_subcommand_from ask' -s s -l system -r -d 'a system prompt'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l max-tokens -x -d 'the most tokens the answer may have'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l temperature -x -d 'sampling temperature, 0 to 2'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l seed -x -d 'seed for weighted picks and jitter'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l stream -d 'write the answer live even into a pipe'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l no-stdin -d 'never read stdin'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l json -d 'print one llmr.ask/1 JSON object'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l config -r -F -d 'the config file'
complete -c llmr -n '__fish_seen_subcommand_from ask' -s v -l verbose -d 'print the plan and every attempt on stderr'
complete -c llmr -n '__fish_seen_subcommand_from ask' -l color -x -a 'auto always never' -d 'colour on stderr'
complete -c llmr -n '__fish_seen_subcommand_from ask' -s h -l help -d 'show help'
