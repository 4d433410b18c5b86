"""API error sentences in Simplified Chinese and English, keyed by error code.

``code`` never changes with the language; only ``message`` does. A sentence may name
entries of the error's ``details`` as ``{placeholders}``. English keeps the service's own
sentence (it says the specifics); Chinese comes from this catalogue, else from a sentence
for the HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# code → (zh, en)
ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    # generic, by HTTP status
    "bad_request": ("请求无法处理", "The request cannot be processed."),
    "not_authenticated": ("请先登录", "Please log in first."),
    "forbidden": ("没有权限执行这个操作", "You are not allowed to do this."),
    "not_found": ("要找的内容不存在", "Not found."),
    "method_not_allowed": ("不支持这种请求方式", "This method is not allowed here."),
    "conflict": ("操作与当前状态冲突，请刷新后重试", "This conflicts with the current state."),
    "too_large": ("文件太大了", "The file is too large."),
    "body_too_large": (
        "请求内容太大（最多 {max_kib} KB）",
        "The request body is larger than {max_kib} KiB.",
    ),
    "null_character": ("请求中含有空字符（NUL）", "The request contains a NUL character."),
    "unsupported_media_type": ("不支持这种内容格式", "This content type is not supported."),
    "validation_failed": ("填写的内容有误", "Some values are not valid."),
    "unknown_search_type": (
        "搜索类型只能是 room（直播间）、product（商品）或 host（主播），不填则搜索全部",
        "type must be room, product or host (or left out for all kinds).",
    ),
    "rate_limited": ("操作太频繁了，请稍后再试", "Too many requests; try again later."),
    "login_throttled": (
        "登录尝试次数过多，请 {retry_after_s} 秒后再试",
        "Too many log-in attempts; try again in {retry_after_s} seconds.",
    ),
    "http_error": ("请求失败", "The request failed."),
    "server_error": ("服务器出错了，请稍后重试", "Something went wrong; try again later."),
    # accounts
    "invalid_credentials": ("邮箱或密码错误", "Wrong e-mail or password."),
    "email_taken": ("该邮箱已注册", "An account with this e-mail already exists."),
    "invalid_token": ("登录凭证无效或已过期", "The bearer token is invalid or expired."),
    "csrf_failed": ("页面已过期，请刷新后重试", "The page expired; reload and try again."),
    "role_required": ("当前账号没有这个权限", "Your account does not have this role."),
    "user_not_found": ("用户不存在", "No such user."),
    "bad_cursor": (
        "翻页位置无效，请从第一页重新开始",
        "The cursor is not valid; start again from the first page.",
    ),
    "cursor_with_offset": (
        "分页参数只能用 cursor 或 offset 其中之一",
        "Use either cursor or offset, not both.",
    ),
    # catalog
    "product_not_found": ("商品不存在", "No such product."),
    "not_product_owner": ("只有商品所属商家可以操作", "Only the product's merchant may do this."),
    "product_has_no_skus": ("上架前请至少添加一个规格", "Add at least one SKU first."),
    "product_not_on_sale": ("商品未上架", "This product is not on sale."),
    "duplicate_sku_spec": ("同一商品的两个规格不能相同", "Two SKUs cannot share a spec."),
    "sku_not_found": ("规格不存在", "No such SKU."),
    "sku_not_in_product": ("该规格属于其他商品", "This SKU belongs to another product."),
    "stock_would_go_negative": ("库存不能减到负数", "The stock cannot go negative."),
    "too_many_skus": ("商品规格数量已达上限", "This product has the most SKUs allowed."),
    "too_many_images": ("商品图片数量已达上限", "This product has the most images allowed."),
    "too_many_pixels": ("图片像素太多", "The image has too many pixels."),
    "image_not_found": ("图片不存在", "This product has no such image."),
    "file_required": ("请选择要上传的文件", "Attach the file."),
    "invalid_status_filter": (
        "公开列表只显示在售商品",
        "The public list only shows products on sale.",
    ),
    "media_not_found": ("文件不存在", "No such file."),
    # live rooms and sessions
    "room_not_found": ("直播间不存在", "No such room."),
    "room_exists": ("你已经有直播间了", "You already have a room."),
    "room_already_live": ("直播间正在直播，请先结束", "This room is already on air."),
    "not_room_host": ("只有直播间主播可以操作", "Only the room's host may do this."),
    "live_session_not_found": ("这场直播不存在", "No such live session."),
    "origin_not_allowed": (
        "这个页面不能用你的登录打开直播间",
        "This page may not open the live room with your log-in.",
    ),
    "invalid_session_state": ("直播当前状态不允许这个操作", "The session cannot do this now."),
    "session_not_upcoming": (
        "只能预约尚未开播的直播",
        "Only a session that has not started yet can be reserved.",
    ),
    # notifications
    "notification_not_found": ("这条通知不存在", "No such notification."),
    "unknown_notification_category": ("没有这种通知类别", "No such notification category."),
    "invalid_unsubscribe_token": ("退订链接无效", "This unsubscribe link is not valid."),
    "planned_start_in_past": ("计划开播时间已过", "The planned start is in the past."),
    "session_not_live": ("直播未在进行中", "The session is not live."),
    "session_ended": ("这场直播已结束", "This session has ended."),
    "no_session_to_publish": ("没有可开播的场次，请先创建", "Schedule a session first."),
    "replay_not_ready": ("直播结束后才能看回放", "The replay is ready once the session ends."),
    "recording_not_found": ("这场直播没有录像", "This session was not recorded."),
    "already_in_showcase": ("该商品已在购物袋中", "This product is in the showcase already."),
    "not_in_showcase": ("该商品不在本场直播的购物袋中", "This product is not in the showcase."),
    "showcase_full": ("购物袋商品数量已达上限", "The showcase is full."),
    "showcase_item_not_found": ("购物袋中没有这个商品", "No such showcase item."),
    "invalid_showcase_order": ("请把每个商品各列一次", "List every showcase item once."),
    "stream_not_live": ("主播的视频还没开始", "The host's video has not started yet."),
    "stream_not_found": ("推流不存在", "Unknown stream."),
    "stream_key_invalid": ("推流密钥无效或已作废", "Unknown or revoked stream key."),
    "media_disabled": ("本服务器未开启直播视频", "Live video is not available here."),
    "unknown_app": ("推流地址不正确", "Wrong publishing address."),
    "bad_callback_token": ("回调凭证不正确", "Bad callback token."),
    # chat and moderation
    "bad_message": ("消息格式不正确", "Malformed message."),
    "muted": ("你已被禁言", "You are muted in this room."),
    "blocked_word": ("消息包含违禁词", "The message contains a blocked word."),
    "too_long": ("消息太长了", "The message is too long."),
    "cannot_mute_host": ("不能禁言主播", "The room's host cannot be muted."),
    "mute_not_found": ("该用户未被禁言", "That user is not muted here."),
    "blocked_word_exists": ("这个词已经屏蔽了", "This word is blocked already."),
    "blocked_word_not_found": ("没有这个屏蔽词", "No such blocked word."),
    "too_many_blocked_words": ("屏蔽词数量已达上限", "The room blocks the most words allowed."),
    "chat_message_not_found": ("消息不存在", "No such chat message."),
    # orders and payments
    "address_not_found": ("地址不存在", "No such address."),
    "address_required": ("请先添加收货地址", "Add a delivery address first."),
    "default_address_required": (
        "需要保留一个默认地址，请先把其他地址设为默认",
        "Make another address the default first.",
    ),
    "order_not_found": ("订单不存在", "No such order."),
    "not_order_buyer": ("只有买家可以操作", "Only the buyer may do this."),
    "not_order_merchant": ("只有订单所属商家可以操作", "Only the order's merchant may do this."),
    "invalid_order_state": ("订单状态已变化，请刷新", "The order changed; reload the page."),
    "order_expired": ("订单已超过付款时间", "The time to pay for this order is up."),
    "out_of_stock": ("库存不足", "Out of stock."),
    "bad_quantity": ("购买数量不正确", "The quantity is not valid."),
    "invalid_quantity": ("购买数量至少为 1", "Quantity must be at least 1."),
    "bad_idempotency_key": ("幂等键长度应为 1 到 64 个字符", "Bad Idempotency-Key."),
    "payment_not_found": ("支付不存在", "No such payment."),
    "provider_not_found": ("不支持这种支付方式", "Unknown payment provider."),
    "not_sandbox_payment": ("这不是沙箱支付", "This is not a sandbox payment."),
    "amount_mismatch": ("回调金额与支付不符", "The callback amount does not match."),
    "bad_callback": ("回调内容无效", "The callback body is not valid."),
    "bad_signature": ("签名不正确", "The signature is wrong."),
    # coupons
    "coupon_not_found": ("优惠券不存在", "No such coupon."),
    "coupon_claim_not_found": ("券包里没有这张券", "No such coupon in your wallet."),
    "coupon_already_used": ("这张券已经用过了", "This coupon has been used."),
    "coupon_limit_reached": ("这张券你已领到上限", "You hold the most of this coupon allowed."),
    "coupon_not_claimable": ("现在不能领取这张券", "This coupon cannot be claimed now."),
    "coupon_not_dropped": ("主播还没有发放这张券", "The host has not handed this coupon out yet."),
    "coupon_not_for_room": ("这张券属于其他直播间", "This coupon belongs to another room."),
    "coupon_sold_out": ("优惠券已被领完", "All of this coupon has been claimed."),
    "coupons_do_not_stack": ("这些优惠券不能叠加使用", "These coupons cannot be combined."),
    "too_many_coupons": ("一个订单使用的优惠券太多", "Too many coupons for one order."),
    "not_coupon_issuer": ("只有发券人可以操作", "Only the coupon's issuer may do this."),
    "fans_only": ("关注直播间后才能领取粉丝券", "Follow the room to claim its fans' coupon."),
    "bad_discount": ("优惠金额或折扣不正确", "The discount is not valid."),
    "bad_limits": ("每人限领不能超过总量", "The per-user limit exceeds the total."),
    "bad_validity": ("优惠券的结束时间须在开始之后且在未来", "The validity period is wrong."),
    # flash sales, lotteries, questions
    "flash_sale_not_found": ("秒杀不存在", "No such flash sale."),
    "flash_sale_not_started": ("秒杀还没开始", "This flash sale has not started yet."),
    "flash_sale_ended": ("秒杀已结束", "This flash sale has ended."),
    "flash_sale_running": ("本场已有进行中或倒计时的秒杀", "A flash sale is already running."),
    "sold_out": ("已抢光", "Sold out."),
    "not_enough_units": ("只剩 {left} 件了", "Only {left} left."),
    "buyer_limit_reached": ("你已达到本次秒杀的限购数量", "You reached this sale's limit."),
    "over_buyer_limit": ("超过本次秒杀的每人限购数量", "That is over this sale's limit."),
    "gate_recovering": ("秒杀正在恢复，请稍后再试", "The sale is recovering; try again soon."),
    "stock_gate_not_found": ("秒杀库存不存在", "No such stock gate."),
    "lottery_not_found": ("抽奖不存在", "No such lottery."),
    "lottery_closed": ("抽奖已结束", "This lottery is closed."),
    "lottery_drawn": ("抽奖已经开奖", "This lottery has been drawn already."),
    "conditions_not_met": ("你还没有满足参与条件", "You do not meet the conditions yet."),
    # fan clubs
    "own_fan_club": ("主播不能加入自己的粉丝团", "A host is not a fan of their own room."),
    "fan_club_badge_required": (
        "加入这个粉丝团需要购买灯牌",
        "This fan club is joined by buying its badge.",
    ),
    "badge_product_not_yours": (
        "灯牌只能是主播自己的商品",
        "The badge must be one of the host's own products.",
    ),
    "prize_required": ("请选择奖品", "Choose the prize."),
    "prize_not_yours": ("请选择你自己在售的商品", "Choose a product you sell."),
    "prize_claimed": ("奖品已经领取过了", "This prize has been claimed already."),
    "not_a_winner": ("只有中奖者可以领取", "Only winners can claim this prize."),
    "nothing_to_claim": ("奖品是优惠券，已放入你的券包", "The coupon is in your wallet already."),
    "question_not_found": ("问题不存在", "No such question."),
    "question_closed": ("这个问题已关闭", "This question is closed."),
    # selling rights and live prices
    "no_selling_right": (
        "只有商品的商家、商家的员工或接受了商家合作的主播可以卖这件商品",
        "You may sell this product only as its merchant, as its merchant's staff, "
        "or through an offer from its merchant.",
    ),
    "below_price_floor": (
        "直播价低于商家设定的最低价（{floor_cents} 分）",
        "The live price is below the merchant's price floor ({floor_cents} cents).",
    ),
    "flash_sale_not_allowed": (
        "商家的合作不允许用这件商品做秒杀",
        "The merchant's offer does not allow flash sales of this product.",
    ),
    "prize_not_allowed": (
        "商家的合作不允许把这件商品作为抽奖奖品",
        "The merchant's offer does not allow this product as a prize.",
    ),
    "discount_not_allowed": (
        "商家的合作不允许直播间优惠券用于这件商品",
        "The merchant's offer does not allow room coupons on this product.",
    ),
    "not_sold_here": ("这件商品已不在本直播间销售", "This product is no longer sold in this room."),
    "live_price_per_sku": (
        "这件商品有多个规格，请为每个规格分别设置直播价",
        "This product has several SKUs: give each its own live price.",
    ),
    "ambiguous_live_price": (
        "请只填一个直播价，或为每个规格分别填写，不要同时填写",
        "Give either one live price or a live price per SKU, not both.",
    ),
    "duplicate_sku": ("每个规格只能有一个直播价", "Each SKU may have one live price."),
    # partners: agencies, offers, samples, affiliate links
    "agency_exists": ("你已经有机构了", "You run an agency already."),
    "agency_not_found": ("你还没有机构", "You have no agency yet."),
    "blank_name": ("请填写名称", "A name is needed."),
    "host_not_found": ("主播不存在", "No such host."),
    "host_email_not_found": ("没有使用这个邮箱的主播账号", "No host account has this e-mail."),
    "host_id_or_email": (
        "请填写主播的邮箱（或主播 ID），只填一个",
        "Give either host_id or host_email.",
    ),
    "host_already_signed": ("该主播已签约或已有待处理的邀请", "This host is signed already."),
    "contract_not_found": ("合约不存在", "No such contract."),
    "invalid_contract_state": ("合约当前状态不允许这个操作", "The contract cannot do this now."),
    "not_contract_host": ("只有受邀主播可以回复", "Only the invited host may answer."),
    "bad_period": ("结束时间必须晚于开始时间", "The end must come after the start."),
    "staff_exists": ("该主播已在员工名单中", "This host is on your staff already."),
    "staff_not_found": ("员工或邀请不存在", "No such staff member."),
    "staff_already_accepted": ("你已经接受过了", "You accepted this already."),
    "offer_not_found": ("合作商品不存在", "No such offer."),
    "offer_exists": ("该商品已有进行中的合作", "This product has an active offer."),
    "offer_closed": ("合作已关闭", "This offer is closed."),
    "not_offer_owner": ("只有合作商家可以操作", "Only the offer's merchant may do this."),
    "samples_not_offered": ("该合作不提供样品", "This offer sends no samples."),
    "sample_not_found": ("样品申请不存在", "No such sample request."),
    "sample_already_requested": ("你已经申请过样品了", "You asked for a sample already."),
    "sample_already_decided": ("该申请已处理", "This request was decided already."),
    "link_not_found": ("推广链接不存在", "No such link."),
    "currency_mismatch": ("币种与链接不符", "The currency does not match the link."),
    "commission_too_large": ("佣金不能超过成交金额", "The commission exceeds the sale."),
    "bad_postback": ("回传内容无效", "The postback is not valid."),
    # ledger
    "statement_not_found": ("结算单不存在", "No such statement."),
    "already_paid_out": ("结算单已打款", "This statement is paid out already."),
    "period_not_over": ("结算周期结束后才能结算", "The period is not over yet."),
    "not_posted": ("该订单没有入账的付款", "This order has no recorded payment."),
    "refund_not_positive": ("退款金额必须大于零", "A refund must be more than zero."),
    "refund_too_large": ("退款金额超过可退金额", "That is more than can be refunded."),
    "refund_exceeds_payment": ("退款金额超过付款金额", "No payment can give that much back."),
    # fans: host messages, share links, the host's team, fan-only offers
    "fan_messages_rate_limited": (
        "今天给粉丝发的消息已达上限，请明天再发",
        "Your fans have had enough messages today; try again tomorrow.",
    ),
    "session_not_found": ("这个直播间没有这场直播", "No such session in this room."),
    "fan_segment_session_required": (
        "请选择要通知哪一场直播的预约用户",
        "Choose the session whose reservers get the message.",
    ),
    "share_link_not_found": ("分享链接不存在", "No such share link."),
    "refund_request_pending": (
        "这笔订单的退款申请正在等商家处理",
        "A refund of this order is waiting for the merchant already.",
    ),
    "refund_request_not_found": ("退款申请不存在", "No such refund request."),
    "refund_request_decided": (
        "这个退款申请已经处理过了",
        "This refund request was decided already.",
    ),
    "fan_segment_product_required": (
        "请选择要通知哪件商品的买家",
        "Choose the product whose buyers get the message.",
    ),
    "fan_segment_product_not_sold": (
        "这件商品没有在这个直播间卖出过",
        "This product was not sold in this room.",
    ),
    "staff_role_forbidden": (
        "你在这个直播间团队中的角色不能做这件事",
        "Your role in this room's team does not allow this.",
    ),
    "staff_invite_not_found": ("邀请不存在或已撤回", "No such invitation."),
    "staff_invite_expired": ("邀请已过期", "This invitation has expired."),
    "staff_invite_used": ("邀请已被接受", "This invitation was accepted already."),
    "staff_invite_other_email": (
        "这个邀请是发给另一个邮箱的",
        "This invitation is for another e-mail address.",
    ),
    "own_room_staff": (
        "主播不能成为自己直播间的团队成员",
        "A host is not staff of their own room.",
    ),
    "team_member_not_found": ("团队成员不存在", "No such team member."),
    "fan_club_level_required": (
        "仅限{min_level}级及以上的粉丝团成员",
        "Fan-club members at level {min_level} or up only.",
    ),
    # c2b: pre-sales, production orders, demand and polls
    "campaign_not_found": ("预售不存在", "No such pre-sale."),
    "campaign_closed": ("预售已截止", "This pre-sale is closed."),
    "campaign_full": ("预售名额不足", "Not that many units are left in this pre-sale."),
    "not_product_merchant": (
        "只有商品所属商家可以操作",
        "Only the product's merchant may do this.",
    ),
    "c2b_bad_moq": (
        "起订量至少为 1 且不超过上限",
        "The minimum must be at least 1 and at most the maximum.",
    ),
    "c2b_bad_deposit": (
        "定金必须低于售价（0 表示全款）",
        "A deposit is less than the price (0 means paying in full).",
    ),
    "c2b_bad_dates": (
        "截止时间须晚于现在，发货时间须晚于截止时间",
        "The deadline must be ahead, and the ship date after it.",
    ),
    "c2b_not_supplier": ("该账号不是供应商", "This account is not a supplier."),
    "c2b_bad_quantity": ("数量须在 1 到 {limit} 之间", "Quantity must be between 1 and {limit}."),
    "c2b_unknown_field": ("该预售没有这个定制项", "This pre-sale has no such customisation field."),
    "c2b_field_too_long": ("定制内容最多 {max_length} 个字", "At most {max_length} characters."),
    "c2b_already_joined": ("你已参加该预售", "You have joined this pre-sale already."),
    "pledge_not_found": ("预订不存在", "No such pledge."),
    "c2b_pledge_not_shippable": (
        "付清全款的预订才能发货",
        "Only a fully paid pledge can be shipped.",
    ),
    "production_not_found": ("生产订单不存在", "No such production order."),
    "not_order_supplier": (
        "只有该生产订单的供应商可以操作",
        "Only the production order's supplier may do this.",
    ),
    "invalid_production_state": (
        "生产订单当前状态不允许此操作",
        "The production order is not in a state for this.",
    ),
    "c2b_delivery_too_large": (
        "送货数量超过剩余待交数量",
        "That is more than the order still needs.",
    ),
    "c2b_rule_incomplete": ("规则缺少必要的数值", "The rule misses some figures."),
    "c2b_duplicate_options": ("投票选项不能重复", "Poll options must differ."),
    "poll_not_found": ("投票不存在", "No such poll."),
    "poll_closed": ("投票已结束", "This poll is closed."),
    "c2b_bad_option": ("没有这个选项", "No such option."),
    "poll_voted": ("你已投过票", "You have voted in this poll."),
    # traffic
    "unknown_feed_tab": ("没有这个推荐页签", "tab must be recommend, follow or category."),
    "unknown_feed_category": ("没有这个分类", "No such category."),
    "feed_click_rate_limited": ("点击太频繁，请稍后再试", "Too many clicks: wait a minute."),
    "unknown_share_code": ("分享链接无效", "This shared link is not valid."),
    "unknown_traffic_policy": (
        "策略权重只能是 pools、tags、private、popular，且至少一个大于 0",
        "Weights are for pools, tags, private and popular, at least one above 0.",
    ),
    # videos
    "bad_filename": ("文件名不能包含路径或特殊字符", "The file name must be a plain name."),
    "video_format": ("请上传 MP4、MOV 或 WebM 视频", "Upload an MP4, MOV or WebM video."),
    "video_unreadable": (
        "这个文件不是可播放的视频，或已损坏",
        "This file is not a playable video, or it is damaged.",
    ),
    "video_too_short": ("视频太短", "The video is too short."),
    "video_too_long": ("视频超过允许的时长", "The video is longer than allowed."),
    "video_bad_size": ("视频画面太小", "The video's picture is too small."),
    "video_quota_exceeded": (
        "视频存储空间已满，请先删除一些视频",
        "Your video storage is full; discard some videos first.",
    ),
    "video_not_found": ("视频不存在", "No such video."),
    "not_video_owner": ("只有视频的主播可以操作", "Only the video's host may do this."),
    "video_failed": ("这个视频处理失败", "This video could not be processed."),
    "video_processing": ("视频还在处理中", "The video is still being processed."),
    "not_a_clip": ("只有直播切片可以裁剪", "Only clips of a live session can be trimmed."),
    "clip_too_short": ("切片至少一秒", "A clip lasts at least a second."),
    "host_not_live": ("主播现在没有直播", "The host is not live now."),
    "bad_title": ("标题不能包含控制字符", "Titles hold no control characters."),
    "naive_datetime": ("时间需带时区", "Give the time with its zone."),
    # dashboards
    "dashboard_forbidden": ("你无权查看该场直播的数据", "You may not see this session's figures."),
    # profiles and recommend (goods-find-people)
    "targeting_campaign_not_found": ("投放不存在", "No such targeting campaign."),
    # recommend: audiences and targeting campaigns in the merchant console
    "targeting_audience_empty": (
        "这个人群里没有可投放的人，请放宽条件",
        "Nobody in this audience can be reached: widen the filters.",
    ),
    "not_session_host": (
        "只有这场直播的主播可以圈选它的人群",
        "Only the session's host may target its audience.",
    ),
    "targeting_session_ended": (
        "这场直播已结束，请选择即将开始的直播",
        "This session has ended: target an upcoming one.",
    ),
    # c2b: the merchant's pre-sale forms and multi-variant pre-sales
    "c2b_unknown_session": ("没有这场直播", "No such live session."),
    "c2b_bad_variant": (
        "款式须是该商品的规格（最多 {max} 个）",
        "Each variant must be a SKU of this product.",
    ),
    "c2b_variant_required": ("请选择款式", "Choose a variant."),
    "c2b_terms_locked": (
        "已有买家参加：售价、定金、起订量、款式和定制项不能再改",
        "Buyers have joined: the price, deposit, minimum, variants and customisation "
        "fields stay as they agreed to.",
    ),
    "c2b_max_below_booked": (
        "已预订 {booked} 件，上限不能低于这个数",
        "{booked} units are booked already.",
    ),
    "c2b_production_issued": (
        "生产订单已发给供应商，不能更换",
        "The production order went to the supplier already.",
    ),
    "c2b_bad_rule_param": ("规则的这个数值不正确", "This figure of the rule is not valid."),
}

# The code of an error that carries none, by its HTTP status.
CODE_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def _fill(sentence: str, details: Mapping[str, Any]) -> str | None:
    try:
        return sentence.format_map(dict(details))
    except (KeyError, IndexError, ValueError):
        return None


def error_message(
    language: str,
    code: str,
    status: int,
    message: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> str:
    """The sentence for an error in ``language``: by code, else by status."""
    details = details or {}
    index = 1 if language == "en" else 0
    if index == 1 and message:
        return message
    for key in (
        code,
        CODE_BY_STATUS.get(status, "server_error" if status >= 500 else "http_error"),
    ):
        entry = ERROR_MESSAGES.get(key)
        if entry is not None:
            filled = _fill(entry[index], details)
            if filled is not None:
                return filled
    return message or code


# Validation problems (pydantic error types) → (zh, en), with the error's ``ctx`` values.
_VALIDATION: dict[str, tuple[str, str]] = {
    "missing": ("必填", "is required"),
    "string_too_short": ("至少 {min_length} 个字符", "must have at least {min_length} characters"),
    "string_too_long": ("最多 {max_length} 个字符", "must have at most {max_length} characters"),
    "too_short": ("至少 {min_length} 项", "must have at least {min_length} items"),
    "too_long": ("最多 {max_length} 项", "must have at most {max_length} items"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "greater_than": ("必须大于 {gt}", "must be greater than {gt}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "less_than": ("必须小于 {lt}", "must be less than {lt}"),
    "int_type": ("必须是整数", "must be an integer"),
    "int_parsing": ("必须是整数", "must be an integer"),
    "int_from_float": ("必须是整数", "must be an integer"),
    "bool_type": ("必须是 true 或 false", "must be true or false"),
    "bool_parsing": ("必须是 true 或 false", "must be true or false"),
    "string_type": ("必须是文字", "must be text"),
    "list_type": ("必须是列表", "must be a list"),
    "dict_type": ("必须是对象", "must be an object"),
    "model_type": ("必须是对象", "must be an object"),
    "model_attributes_type": ("必须是对象", "must be an object"),
    "literal_error": ("只能是 {expected}", "must be {expected}"),
    "enum": ("只能是 {expected}", "must be {expected}"),
    "string_pattern_mismatch": ("格式不正确", "has the wrong format"),
    "datetime_type": ("必须是日期时间", "must be a date and time"),
    "datetime_parsing": ("必须是日期时间，如 2026-05-01T20:00:00+08:00", "must be a date-time"),
    "datetime_from_date_parsing": ("必须是日期时间", "must be a date and time"),
    "timezone_aware": (
        "必须带时区，如 2026-05-01T20:00:00+08:00",
        "must include a time zone, such as 2026-05-01T20:00:00+08:00",
    ),
    "url_parsing": ("必须是网址", "must be a URL"),
    "url_scheme": ("网址必须以 http 或 https 开头", "must be an http or https URL"),
    "url_type": ("必须是网址", "must be a URL"),
    "json_invalid": ("不是有效的 JSON", "is not valid JSON"),
    "json_type": ("不是有效的 JSON", "is not valid JSON"),
    "extra_forbidden": ("不允许这个字段", "is not allowed"),
}

# Messages of our own validators (ValueError text) → zh.
_VALUE_ERRORS_ZH = {
    "must not be blank": "不能为空",
    "must not contain control characters": "不能包含控制字符",
    "must not contain bidirectional override characters": "不能包含文字方向控制字符",
    "must not contain unpaired surrogates": "包含无效字符",
}


def validation_problem(language: str, error: Mapping[str, Any]) -> str:
    """One pydantic error as a short phrase in ``language`` ("must be at most 99")."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    english = str(error.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        reason = str(context.get("error", english)).removeprefix("Value error, ")
        english = english.removeprefix("Value error, ")
        if language == "en":
            return english
        for phrase, chinese in _VALUE_ERRORS_ZH.items():
            if reason.endswith(phrase):
                return chinese
        return "取值不正确"
    entry = _VALIDATION.get(kind)
    if entry is None:
        return english if language == "en" else "格式不正确"
    if language != "en" and isinstance(context.get("expected"), str):
        # pydantic lists the choices in English: "'succeed' or 'fail'".
        context = {**context, "expected": context["expected"].replace(" or ", " 或 ")}
    filled = _fill(entry[1 if language == "en" else 0], context)
    if filled is None:
        return english if language == "en" else "格式不正确"
    return filled


def validation_summary(language: str, problems: Sequence[Mapping[str, str]]) -> str:
    """The sentence of a 422: the first field and what is wrong with it."""
    if not problems:
        return error_message(language, "validation_failed", 422)
    first = problems[0]
    field, problem = first["field"], first["message"]
    more = len(problems) - 1
    if language == "en":
        sentence = f"Invalid value for '{field}': {problem}" if field else problem
        return sentence + (f" (and {more} more)" if more else "")
    sentence = f"“{field}”填写有误：{problem}" if field else f"请求有误：{problem}"
    return sentence + (f"（另有 {more} 处）" if more else "")
