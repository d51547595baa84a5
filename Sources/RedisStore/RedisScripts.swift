/// The Lua scripts that make each multi-step change atomic on the Redis
/// server: two machines can never both claim one probe, both take the last
/// slot of a rate window, or both spend the last dollar of a budget.
///
/// Keys (N is `state.namespace`):
/// - `N:health` hash: breaker key → `state|closedAt|openUntil|probeOwner|probeStarted`
/// - `N:cool` hash: breaker key → the time its cooldown ends
/// - `N:fail:KEY` sorted set: failures against a breaker, scored by time
/// - `N:rate:KEY` sorted set (slot id → time) and `N:ratetok:KEY` hash (slot id → tokens)
/// - `N:spend:BUDGET` sorted set (reservation id → time) and `N:spendv:BUDGET` hash (id → `amount|pending|expires`)
/// - `N:res:ID`, `N:slot:ID`: which budgets or windows a reservation or slot was written to
/// - `N:seq` hash: the reservation and slot counters
/// - `N:cache:HASH`: a cached answer
/// Every key has a TTL; numbers travel as text with 17 significant digits.
enum RedisScripts {
    static let common = """
        local function fmt(x) return string.format('%.17g', x) end
        local function split(s, sep)
          local out = {}
          for p in string.gmatch(s .. sep, '([^' .. sep .. ']*)' .. sep) do out[#out + 1] = p end
          return out
        end
        """

    /// Records the health of one request's targets: failures counted in each
    /// breaker's window, breakers moved by the breaker's rules, cooldowns kept.
    /// ARGV: ns, now, owner, window, threshold, openFor, ttl, then per target:
    /// key, succeeded (1/0), failures, member prefix, cooldown end ('' for none).
    static let health = common + """

        local ns, now, owner = ARGV[1], tonumber(ARGV[2]), ARGV[3]
        local window, threshold, openFor, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
        local hk, ck = ns .. ':health', ns .. ':cool'
        local i = 8
        while i + 4 <= #ARGV do
          local key, succeeded, nfail, member, cool = ARGV[i], ARGV[i + 1] == '1', tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4]
          i = i + 5
          local fk = ns .. ':fail:' .. key
          local st, closedAt, openUntil, pOwner, pStarted = 'closed', 0, 0, '', ''
          local raw = redis.call('HGET', hk, key)
          if raw then
            local p = split(raw, '|')
            st, closedAt, openUntil, pOwner, pStarted = p[1], tonumber(p[2]) or 0, tonumber(p[3]) or 0, p[4] or '', p[5] or ''
          end
          for j = 1, nfail do redis.call('ZADD', fk, now, member .. ':' .. j) end
          if nfail > 0 then redis.call('EXPIRE', fk, math.ceil(window) + 60) end
          local changed = false
          if st == 'open' and pOwner == owner then
            if succeeded then st, closedAt, openUntil = 'closed', now, 0 else openUntil = now + openFor end
            pOwner, pStarted, changed = '', '', true
          elseif st == 'closed' and nfail > 0 then
            local since = math.max(now - window, closedAt)
            if redis.call('ZCOUNT', fk, fmt(since), '+inf') >= threshold then
              st, openUntil, pOwner, pStarted, changed = 'open', now + openFor, '', '', true
            end
          end
          redis.call('ZREMRANGEBYSCORE', fk, '-inf', '(' .. fmt(now - window))
          if changed then
            redis.call('HSET', hk, key, st .. '|' .. fmt(closedAt) .. '|' .. fmt(openUntil) .. '|' .. pOwner .. '|' .. pStarted)
          end
          if cool ~= '' then
            local cur = tonumber(redis.call('HGET', ck, key) or '0') or 0
            if tonumber(cool) > cur then redis.call('HSET', ck, key, cool) end
          end
        end
        redis.call('EXPIRE', hk, ttl)
        if redis.call('EXISTS', ck) == 1 then redis.call('EXPIRE', ck, ttl) end
        return 1
        """

    /// Breakers and cooldowns whole: `{health fields and values, cooldown fields and values}`.
    static let snapshot = """
        return {redis.call('HGETALL', ARGV[1] .. ':health'), redis.call('HGETALL', ARGV[1] .. ':cool')}
        """

    /// Takes a breaker's half-open probe when its open period is over and no
    /// live claim holds it. ARGV: ns, key, now, owner, probe timeout. 1 or 0.
    static let claim = common + """

        local hk = ARGV[1] .. ':health'
        local raw = redis.call('HGET', hk, ARGV[2])
        if not raw then return 0 end
        local p = split(raw, '|')
        local now, timeout = tonumber(ARGV[3]), tonumber(ARGV[5])
        if p[1] ~= 'open' or now < (tonumber(p[3]) or 0) then return 0 end
        if (p[4] or '') ~= '' and p[5] ~= '' and now - (tonumber(p[5]) or 0) < timeout then return 0 end
        redis.call('HSET', hk, ARGV[2], p[1] .. '|' .. p[2] .. '|' .. p[3] .. '|' .. ARGV[4] .. '|' .. fmt(now))
        return 1
        """

    /// Closes breakers and clears cooldowns of the named providers and their
    /// models (every one when none is named). ARGV: ns, provider…
    static let reset = """
        local ns = ARGV[1]
        local removed = 0
        for _, h in ipairs({ns .. ':health', ns .. ':cool'}) do
          for _, key in ipairs(redis.call('HKEYS', h)) do
            local hit = #ARGV == 1
            for i = 2, #ARGV do
              if key == ARGV[i] or string.sub(key, 1, #ARGV[i] + 1) == ARGV[i] .. '/' then hit = true end
            end
            if hit then
              redis.call('HDEL', h, key)
              redis.call('DEL', ns .. ':fail:' .. key)
              removed = removed + 1
            end
          end
        end
        return removed
        """

    /// Budgets and rate windows. ARGV: ns, mode, now, amount, expires, tokens,
    /// window count, budget count, then per window: key, per, request cap,
    /// token cap (-1: none); per budget: name, per, usd; then (settle) the
    /// reservation, its cost, the slot and its tokens ('' for none).
    /// Modes: `admit` (windows first, then budgets, all or nothing), `check`
    /// (whether it would fit; nothing counted), `usage`, `use`, `settle`.
    static let ledger = common + """

        local ns, mode, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
        local amount, expires, tokens = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
        local nw, nb = tonumber(ARGV[7]), tonumber(ARGV[8])
        local i = 9
        local windows, budgets = {}, {}
        for w = 1, nw do
          windows[w] = {key = ARGV[i], name = ARGV[i], per = tonumber(ARGV[i + 1]), req = tonumber(ARGV[i + 2]), tok = tonumber(ARGV[i + 3])}
          i = i + 4
        end
        for b = 1, nb do
          budgets[b] = {name = ARGV[i], per = tonumber(ARGV[i + 1]), usd = tonumber(ARGV[i + 2])}
          i = i + 3
        end
        local base = 1099511627776

        local function prune(z, h, before)
          local old = redis.call('ZRANGEBYSCORE', z, '-inf', fmt(before))
          for _, id in ipairs(old) do redis.call('HDEL', h, id) end
          if #old > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', fmt(before)) end
        end

        local function windowUse(W)
          local z, h = ns .. ':rate:' .. W.key, ns .. ':ratetok:' .. W.key
          prune(z, h, now - W.per)
          local sum = 0
          for _, v in ipairs(redis.call('HVALS', h)) do sum = sum + (tonumber(v) or 0) end
          return redis.call('ZCARD', z), sum, z, h
        end

        local function budgetUse(B)
          local z, h = ns .. ':spend:' .. B.name, ns .. ':spendv:' .. B.name
          prune(z, h, now - B.per)
          local spent, reserved, minAt = 0, 0, nil
          local rows = redis.call('ZRANGE', z, 0, -1, 'WITHSCORES')
          for k = 1, #rows, 2 do
            local v = redis.call('HGET', h, rows[k])
            if v then
              local p = split(v, '|')
              local a, at = tonumber(p[1]) or 0, tonumber(rows[k + 1])
              if p[2] == '0' then
                spent = spent + a
                if not minAt or at < minAt then minAt = at end
              elseif (tonumber(p[3]) or 0) > now then
                reserved = reserved + a
                if not minAt or at < minAt then minAt = at end
              end
            end
          end
          return spent, reserved, minAt
        end

        if mode == 'usage' then
          local out = {}
          for b = 1, nb do
            local s, r, m = budgetUse(budgets[b])
            out[#out + 1] = fmt(s); out[#out + 1] = fmt(r); out[#out + 1] = m and fmt(m) or ''
          end
          return out
        end
        if mode == 'use' then
          local out = {}
          for w = 1, nw do
            local count, sum = windowUse(windows[w])
            out[#out + 1] = tostring(count); out[#out + 1] = tostring(sum)
          end
          return out
        end
        if mode == 'settle' then
          local res, cost, slot, slotTokens = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
          if res ~= '' then
            local names = redis.call('GET', ns .. ':res:' .. res)
            if names then
              for _, name in ipairs(split(names, '\\n')) do
                local h = ns .. ':spendv:' .. name
                local v = redis.call('HGET', h, res)
                if v then redis.call('HSET', h, res, cost .. '|0|' .. split(v, '|')[3]) end
              end
            end
          end
          if slot ~= '' then
            local keys = redis.call('GET', ns .. ':slot:' .. slot)
            if keys then
              for _, key in ipairs(split(keys, '\\n')) do
                local h = ns .. ':ratetok:' .. key
                if redis.call('HEXISTS', h, slot) == 1 then redis.call('HSET', h, slot, slotTokens) end
              end
            end
          end
          return {'ok'}
        end

        -- admit and check: the windows first; a full one returns its sends (time, tokens), oldest first.
        for w = 1, nw do
          local W = windows[w]
          local count, sum, z, h = windowUse(W)
          local rcap = W.req >= 0 and W.req or math.huge
          local tcap = W.tok >= 0 and W.tok or math.huge
          if not (count + 1 <= rcap and tokens <= tcap and sum + tokens <= tcap) then
            local out = {'full', tostring(w)}
            local rows = redis.call('ZRANGE', z, 0, -1, 'WITHSCORES')
            for k = 1, #rows, 2 do
              out[#out + 1] = rows[k + 1]
              out[#out + 1] = redis.call('HGET', h, rows[k]) or '0'
            end
            return out
          end
        end
        if mode == 'check' then return {'fits'} end
        for b = 1, nb do
          local s, r, m = budgetUse(budgets[b])
          if s + r + amount > budgets[b].usd * (1 + 1e-9) then return {'over', tostring(b), fmt(s), fmt(r), m and fmt(m) or ''} end
        end
        -- Writes the next id of `counter` with `value` into each item's sorted set and hash (both
        -- outliving the item's window by `margin`), and which items hold it into ns:kind:id.
        local function keep(counter, kind, items, zp, hp, value, margin)
          local id = tostring(base + redis.call('HINCRBY', ns .. ':seq', counter, 1))
          local names, longest = {}, 0
          for _, it in ipairs(items) do
            local z, h = ns .. zp .. it.name, ns .. hp .. it.name
            redis.call('ZADD', z, now, id)
            redis.call('HSET', h, id, value)
            local ttl = math.ceil(it.per) + margin
            redis.call('EXPIRE', z, ttl); redis.call('EXPIRE', h, ttl)
            names[#names + 1] = it.name
            if ttl > longest then longest = ttl end
          end
          redis.call('SET', ns .. ':' .. kind .. ':' .. id, table.concat(names, '\\n'), 'EX', longest)
          return id
        end
        local res, slot = '', ''
        if nb > 0 then res = keep('reservation', 'res', budgets, ':spend:', ':spendv:', fmt(amount) .. '|1|' .. expires, 3600) end
        if nw > 0 then slot = keep('slot', 'slot', windows, ':rate:', ':ratetok:', tostring(tokens), 60) end
        redis.call('EXPIRE', ns .. ':seq', 30 * 86400)
        return {'ok', res, slot}
        """
}
