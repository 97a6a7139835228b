"""Holiday-notice test data shared by the calendar tests (import, poll after a change, web page).

The 2027 notice is FICTITIOUS test data, consistent with itself: not the real schedule. Under it,
2027-02-06..13 are days off and 2027-01-31 (Sunday) and 2027-02-20 (Saturday) working days; without
it 2027 is unofficial (only 除夕 and the first days of 春节, 2027-02-05..08, are off).
"""

from __future__ import annotations

FICTITIOUS_2027 = """\
国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕99号
（测试用虚构通知，并非真实安排）
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至13日（周六）放假调休，共8天。1月31日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月12日（周六）至14日（周一）放假，共3天。
六、中秋节、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
国务院办公厅
2026年11月10日
"""
