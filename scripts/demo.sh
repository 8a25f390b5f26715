#!/bin/sh
# Builds the demo database (once) and runs the server on it.
#
#   scripts/demo.sh FAZHI_BINARY
#
# The database lives in demo/fazhi-demo.db and is kept between runs; delete
# the demo/ folder to start over. Until the Chengxi 2022 data set exists, the
# demo is the organisation root and one administrator account.
set -eu
bin=${1:-build/rel/fazhi}
dir=demo
db=$dir/fazhi-demo.db
listen=${FAZHI_LISTEN:-127.0.0.1:8080}
password=fazhi-demo-2022

mkdir -p "$dir"
if [ ! -f "$db" ]; then
    "$bin" migrate --db "$db" >/dev/null
    "$bin" unit add --db "$db" --code chengxi --name 城西街道 --type subdistrict >/dev/null
    echo "$password" | "$bin" user add admin --db "$db" --unit chengxi --name 系统管理员 \
        --role admin --password-stdin >/dev/null
fi

cat <<MSG

fazhi 演示服务：http://$listen/
数据库：$db（删除 $dir/ 目录即可重新生成）

演示账号
  登录名    密码              角色
  admin     $password   系统管理员（城西街道）

登录示例：
  curl -c /tmp/fazhi.cookies -H 'Content-Type: application/json' \\
       -d '{"login":"admin","password":"$password"}' http://$listen/api/v1/session

按 Ctrl+C 停止。
MSG
exec "$bin" serve --db "$db" --listen "$listen"
