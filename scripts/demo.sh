#!/bin/sh
# Builds the demo database (once) and runs the server on it.
#
#   scripts/demo.sh FAZHI_BINARY
#
# The database lives in demo/fazhi-demo.db and is kept between runs; delete
# the demo/ folder to start over. `fazhi demo` builds it: 江州市西城区城西街道
# with its units, people and registers, and its ledgers of 2021 and 2022
# (the 2022 figures are those of the annual report). What it prints, the
# demo accounts and their passwords among it, is kept in demo/accounts.txt
# and shown on every start.
set -eu
bin=${1:-build/rel/fazhi}
dir=demo
db=$dir/fazhi-demo.db
listen=${FAZHI_LISTEN:-127.0.0.1:8080}

mkdir -p "$dir"
if [ ! -f "$db" ]; then
    echo "正在生成演示数据（约 1 秒）……"
    if ! FAZHI_LOG_LEVEL=warn "$bin" demo --db "$db" >"$dir/accounts.txt.new"; then
        rm -f "$db" "$db-wal" "$db-shm" "$dir/accounts.txt.new"
        exit 1
    fi
    mv "$dir/accounts.txt.new" "$dir/accounts.txt"
fi

echo
echo "fazhi 演示服务：http://$listen/"
echo "  居民端（智慧城西）：http://$listen/submit 反映事项，http://$listen/track 查询办理进度"
echo "  工作人员：http://$listen/login"
cat "$dir/accounts.txt"
cat <<MSG
（删除 $dir/ 目录即可重新生成）

登录示例：
  curl -c /tmp/fazhi.cookies -H 'Content-Type: application/json' \\
       -d '{"login":"admin","password":"Admin-demo-2022"}' http://$listen/api/v1/session

按 Ctrl+C 停止。
MSG
exec "$bin" serve --db "$db" --listen "$listen"
